import { fireEvent, render } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import DateField from './DateField.svelte'

describe('DateField', () => {
  it('shows the company format, reads what people type, and binds ISO', async () => {
    let value = '2026-12-02'
    const { container } = render(DateField, {
      props: {
        id: 'd',
        get value() {
          return value
        },
        set value(v: string) {
          value = v
        },
      },
    })
    const input = container.querySelector('#d') as HTMLInputElement
    expect(input.value).toBe('2 Dec 2026')
    await fireEvent.focus(input)
    await fireEvent.input(input, { target: { value: '05/01/2027' } })
    expect(value).toBe('2027-01-05')
    await fireEvent.blur(input)
    expect(input.value).toBe('5 Jan 2027')
  })

  it('never keeps an old date when the text is not a date, and says how to write one', async () => {
    let value = '2026-12-02'
    const { container } = render(DateField, {
      props: {
        id: 'd',
        get value() {
          return value
        },
        set value(v: string) {
          value = v
        },
      },
    })
    const input = container.querySelector('#d') as HTMLInputElement
    await fireEvent.focus(input)
    await fireEvent.input(input, { target: { value: '31/02/2026' } })
    expect(value).toBe('31/02/2026')
    expect(input.getAttribute('aria-invalid')).toBe('true')
    expect(container.textContent).toContain('Write a date like 2 Dec 2026')
  })
})
