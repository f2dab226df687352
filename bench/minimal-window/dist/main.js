// Becomes interactive the way Hesabu's start screen does: one IPC round trip to the app, then a
// button the benchmark waits for (#ready, as it waits for Hesabu's #open-demo).
const reply = await window.__TAURI_INTERNALS__.invoke('ping')
const button = document.createElement('button')
button.id = 'ready'
button.textContent = `Ready (${reply})`
document.getElementById('app').replaceChildren(button)
