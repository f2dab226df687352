//! The app's state: which company file is open in the window and who is signed in to it, plus
//! where the app keeps its own files. Commands reach the company file only through
//! [`AppState::company`] and [`AppState::signed_in`], which is what turns "no company open" and
//! "nobody signed in" into the errors the UI expects.
//!
//! The open file and its session sit behind one lock, so they always change together: opening,
//! creating or closing a company ends the session. Services run under the read side of the lock,
//! so a company cannot be closed under a running command.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hesabu_app::demo;
use hesabu_app::etims::demo_sandbox::{self, DemoSandbox};
use hesabu_app::qbo::demo_sandbox::DemoQbo;
use hesabu_core::company;
use hesabu_core::company::NewCompany;
use hesabu_store::auth::SessionInfo;
use hesabu_store::auth::{self, Session};
use hesabu_store::clock::{self, SharedClock, SystemClock};
use hesabu_store::company_file::{self, CompanyFile};
use hesabu_store::outbox::Targets;
use hesabu_store::permissions::Permission;
use hesabu_store::scheduler::Scheduler;
use hesabu_store::{Error, WireError};
use tokio::sync::{Mutex, RwLock, RwLockReadGuard};

use crate::background::{Background, STOP_TIMEOUT, SyncTracker, TICK};

use crate::recent::{self, RecentCompany};
use crate::wire::OpenedCompany;

/// Environment variable that moves the app's data folder (`recent.json`, the demo company).
pub const DATA_DIR_ENV: &str = "HESABU_DATA_DIR";

/// The demo company's file name inside `<data dir>/demo/`.
pub const DEMO_FILE_NAME: &str = "Savannah Traders.hesabu";

/// Converts a core result into what a command returns.
pub trait IntoWire<T> {
    fn wire(self) -> Result<T, WireError>;
}

/// Every command's error reaches the window in the desktop's words
/// ([`crate::desktop_words::desktop_message`]): the core's messages name `hesabu` commands.
impl<T> IntoWire<T> for hesabu_store::Result<T> {
    fn wire(self) -> Result<T, WireError> {
        self.map_err(crate::desktop_words::desktop_error)
    }
}

fn no_company() -> WireError {
    Error::NotFound("Open a company file first.".into()).to_wire()
}

fn no_session() -> WireError {
    Error::AuthFailed("Sign in first.".into()).to_wire()
}

/// A company file open in the window, and who (if anyone) is signed in to it.
#[derive(Debug)]
pub struct OpenCompany {
    pub file: CompanyFile,
    pub session: Option<Session>,
}

/// Managed by Tauri; every command receives it.
#[derive(Debug)]
pub struct AppState {
    data_dir: PathBuf,
    default_folder: PathBuf,
    clock: SharedClock,
    open: RwLock<Option<OpenCompany>>,
    /// Serialises open/create/close, so two quick clicks cannot create the demo file twice or
    /// race to replace the open company.
    lifecycle: Mutex<()>,
    /// Desktop delivery of the signed-in user's notifications.
    delivery: crate::notify::Delivery,
    /// The outbox clients of this installation itself (none today; tests may add loopback
    /// ones). The open file's own (its e-TIMS device, its QuickBooks connection) are added in
    /// `file_targets` when it opens.
    targets: Targets,
    /// `targets` plus the open file's, made by `hesabu_app::targets_for_file` on opening.
    file_targets: std::sync::RwLock<Targets>,
    /// The scheduler loop of the open company while a user who may run jobs is signed in.
    background: Background,
    /// Sync progress for the Sync page, fed by the scheduler's outbox job.
    sync: SyncTracker,
    /// The local e-TIMS sandbox (a test double of KRA) while the demo company is open: its
    /// device signs there (`hesabu_app::etims::demo_sandbox`). None for any other company.
    demo_sandbox: std::sync::Mutex<Option<Arc<DemoSandbox>>>,
    /// The local QuickBooks sandbox (a test double of QuickBooks Online) while the demo company
    /// is open: its QuickBooks connection is there (`hesabu_app::qbo::demo_sandbox`). None for
    /// any other company.
    demo_qbo: std::sync::Mutex<Option<Arc<DemoQbo>>>,
}

impl AppState {
    /// `data_dir` must exist; `default_folder` is created when a company is first saved there.
    pub fn new(data_dir: PathBuf, default_folder: PathBuf) -> Self {
        Self {
            data_dir,
            default_folder,
            clock: Arc::new(SystemClock),
            open: RwLock::new(None),
            lifecycle: Mutex::new(()),
            delivery: crate::notify::Delivery::default(),
            targets: Targets::new(),
            file_targets: std::sync::RwLock::new(Targets::new()),
            background: Background::default(),
            sync: SyncTracker::default(),
            demo_sandbox: std::sync::Mutex::new(None),
            demo_qbo: std::sync::Mutex::new(None),
        }
    }

    /// The targets the open file's outbox drains to.
    pub fn targets(&self) -> Targets {
        self.file_targets
            .read()
            .map_or_else(|_| self.targets.clone(), |t| t.clone())
    }

    /// Makes the open file's targets again: on opening, and after its e-TIMS device is set up or
    /// QuickBooks is connected. A file whose device key cannot be read from the keyring keeps
    /// only the installation's targets, and the reason is printed: its e-TIMS rows wait in the
    /// queue (the Sync page shows the target as missing) rather than fail.
    pub async fn refresh_targets(&self, file: &CompanyFile) {
        let targets = match self.targets_of(file).await {
            Ok(targets) => targets,
            Err(e) => {
                eprintln!("hesabu-desktop: the company's sync targets are not available: {e}");
                self.targets.clone()
            }
        };
        if let Ok(mut slot) = self.file_targets.write() {
            *slot = targets;
        }
    }

    async fn targets_of(&self, file: &CompanyFile) -> hesabu_store::Result<Targets> {
        if !hesabu_app::has_external_targets(file).await? {
            return Ok(self.targets.clone());
        }
        // The demo's e-TIMS target talks to its running sandbox; QuickBooks (if connected) and
        // any real device come from the secret store as usual.
        let base = match self.demo_sandbox() {
            Some(sandbox) => sandbox.targets(file, &self.targets).await?,
            None => self.targets.clone(),
        };
        let secrets: Arc<dyn hesabu_store::secrets::SecretStore> =
            hesabu_store::secrets::store_from_env()?.into();
        hesabu_app::targets_for_file(file, secrets, &base).await
    }

    /// The demo's running local e-TIMS sandbox, if the open company is the demo.
    pub fn demo_sandbox(&self) -> Option<Arc<DemoSandbox>> {
        self.demo_sandbox.lock().ok().and_then(|slot| slot.clone())
    }

    /// Puts `sandbox` in place of the previous one, which stops.
    fn set_demo_sandbox(&self, sandbox: Option<Arc<DemoSandbox>>) {
        if let Ok(mut slot) = self.demo_sandbox.lock() {
            *slot = sandbox;
        }
    }

    /// The demo's running local QuickBooks sandbox, if the open company is the demo.
    pub fn demo_qbo(&self) -> Option<Arc<DemoQbo>> {
        self.demo_qbo.lock().ok().and_then(|slot| slot.clone())
    }

    /// Puts `sandbox` in place of the previous one, which stops.
    fn set_demo_qbo(&self, sandbox: Option<Arc<DemoQbo>>) {
        if let Ok(mut slot) = self.demo_qbo.lock() {
            *slot = sandbox;
        }
    }

    pub fn background(&self) -> &Background {
        &self.background
    }

    pub fn sync(&self) -> &SyncTracker {
        &self.sync
    }

    /// The scheduler with this installation's targets, reporting sync progress to the tracker.
    pub fn scheduler(&self) -> Scheduler {
        hesabu_app::jobs::standard_scheduler(self.targets()).with_sync_events(self.sync.sender())
    }

    /// On exit: stop the scheduler (letting a running job finish, up to a timeout) and close
    /// the company file so its WAL is checkpointed.
    pub async fn shutdown(&self) {
        self.close_company().await;
    }

    pub fn delivery(&self) -> &crate::notify::Delivery {
        &self.delivery
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn default_folder(&self) -> &Path {
        &self.default_folder
    }

    pub fn demo_path(&self) -> PathBuf {
        self.data_dir.join("demo").join(DEMO_FILE_NAME)
    }

    pub fn recent(&self) -> Vec<RecentCompany> {
        recent::load(&self.data_dir)
    }

    /// The open company, or `not_found` "Open a company file first.".
    pub async fn company(&self) -> Result<RwLockReadGuard<'_, OpenCompany>, WireError> {
        RwLockReadGuard::try_map(self.open.read().await, Option::as_ref).map_err(|_| no_company())
    }

    /// The open company and its signed-in user, or the error saying which is missing.
    pub async fn signed_in(
        &self,
    ) -> Result<(RwLockReadGuard<'_, OpenCompany>, Session), WireError> {
        let open = self.company().await?;
        let session = open.session.clone().ok_or_else(no_session)?;
        Ok((open, session))
    }

    /// The open company's path and name, if one is open.
    pub async fn opened(&self) -> Result<Option<OpenedCompany>, WireError> {
        let guard = self.open.read().await;
        match guard.as_ref() {
            None => Ok(None),
            Some(open) => Ok(Some(describe(&open.file).await?)),
        }
    }

    /// Opens an existing company file in place of the current one.
    pub async fn open_company(&self, path: &str) -> Result<OpenedCompany, WireError> {
        let path = self.resolve(path)?;
        let _lifecycle = self.lifecycle.lock().await;
        let file = hesabu_app::open_company_file(&path, self.clock.clone())
            .await
            .wire()?;
        self.install(file, None).await
    }

    /// Creates a company file with its first admin and opens it with nobody signed in: the UI
    /// goes to the sign-in screen, so the admin proves the password they just chose.
    pub async fn create_company(
        &self,
        path: &str,
        new: &NewCompany,
    ) -> Result<OpenedCompany, WireError> {
        let path = self.resolve_new(path)?;
        let _lifecycle = self.lifecycle.lock().await;
        let (file, _admin) = hesabu_app::create_company(&path, new, self.clock.clone())
            .await
            .wire()?;
        self.install(file, None).await
    }

    /// Opens the demo company, creating it the first time.
    pub async fn open_demo(&self) -> Result<OpenedCompany, WireError> {
        let path = self.demo_path();
        let _lifecycle = self.lifecycle.lock().await;
        let file = if path.is_file() {
            hesabu_app::open_company_file(&path, self.clock.clone())
                .await
                .wire()?
        } else {
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(|e| folder_error(folder, &e))?;
            }
            let (file, _admin) = demo::create(&path, self.clock.clone()).await.wire()?;
            demo::add_workflow_showcase(&file).await.wire()?;
            // Its invoices and credit note signed by the app's local e-TIMS sandbox, which keeps
            // running while the demo is open; then connected to the app's local QuickBooks
            // sandbox, whose invoices are pulled, signed and written back.
            let (sandbox, _summary) = demo::sign_with_local_sandbox(&file).await.wire()?;
            let (qbo, _seed) = demo::connect_local_quickbooks(&file, &sandbox)
                .await
                .wire()?;
            return self.install(file, Some((sandbox, qbo))).await;
        };
        self.install(file, None).await
    }

    /// Closes the open company, if any, and ends the session.
    pub async fn close_company(&self) {
        let _lifecycle = self.lifecycle.lock().await;
        self.background.stop(STOP_TIMEOUT).await;
        let previous = self.open.write().await.take();
        close_quietly(previous).await;
        self.set_demo_sandbox(None);
        self.set_demo_qbo(None);
    }

    /// Signs in to the open company.
    pub async fn login(&self, email: &str, password: &str) -> Result<SessionInfo, WireError> {
        let mut guard = self.open.write().await;
        let open = guard.as_mut().ok_or_else(no_company)?;
        let session = auth::login(&open.file, email, password).await.wire()?;
        let info = session.info();
        // The scheduler runs as a user who may run the jobs (admins, finance managers); for
        // others nothing is scheduled until such a user signs in (or cron runs `hesabu jobs
        // run`). Its first run catches up on what was missed while the app was closed.
        if session.may(Permission::JobsRun) {
            self.background
                .start(open.file.clone(), session.clone(), self.scheduler(), TICK)
                .await;
        } else {
            self.background.stop(STOP_TIMEOUT).await;
        }
        open.session = Some(session);
        Ok(info)
    }

    /// Signs out; the company stays open.
    pub async fn logout(&self) {
        self.background.stop(STOP_TIMEOUT).await;
        if let Some(open) = self.open.write().await.as_mut() {
            open.session = None;
        }
    }

    pub async fn session_info(&self) -> Option<SessionInfo> {
        self.open
            .read()
            .await
            .as_ref()
            .and_then(|o| o.session.as_ref())
            .map(Session::info)
    }

    /// Makes `file` the open company (nobody signed in), closes the previous one and puts the
    /// file at the top of the recent list. The demo company gets its local e-TIMS and
    /// QuickBooks sandboxes: `seeded` when seeding just started them, else ones started here;
    /// any other file gets none.
    async fn install(
        &self,
        file: CompanyFile,
        seeded: Option<(DemoSandbox, DemoQbo)>,
    ) -> Result<OpenedCompany, WireError> {
        let (sandbox, qbo) = match seeded {
            Some((sandbox, qbo)) => (Some(sandbox), Some(qbo)),
            None => (None, None),
        };
        let opened = match describe(&file).await {
            Ok(opened) => opened,
            Err(error) => {
                close_quietly(Some(OpenCompany {
                    file,
                    session: None,
                }))
                .await;
                return Err(error);
            }
        };
        self.background.stop(STOP_TIMEOUT).await;
        let sandbox = match sandbox {
            Some(sandbox) => Some(sandbox),
            // A failed start leaves the demo's e-TIMS rows waiting in the queue; the demo still
            // opens.
            None => DemoSandbox::for_file(&file).await.unwrap_or_else(|e| {
                eprintln!("hesabu-desktop: the demo's local e-TIMS sandbox did not start: {e}");
                None
            }),
        };
        self.set_demo_sandbox(sandbox.map(Arc::new));
        let qbo = match qbo {
            Some(qbo) => Some(qbo),
            // Likewise: without it the demo's QuickBooks says it is not running; the demo opens.
            None => DemoQbo::for_file(&file).await.unwrap_or_else(|e| {
                eprintln!("hesabu-desktop: the demo's local QuickBooks sandbox did not start: {e}");
                None
            }),
        };
        self.set_demo_qbo(qbo.map(Arc::new));
        self.refresh_targets(&file).await;
        let previous = self.open.write().await.replace(OpenCompany {
            file,
            session: None,
        });
        close_quietly(previous).await;
        let entry = RecentCompany {
            path: opened.path.clone(),
            name: opened.name.clone(),
            last_opened: clock::format_timestamp(self.clock.now()),
        };
        // The company is open either way; a list that cannot be saved only costs a shortcut.
        if let Err(e) = recent::record(&self.data_dir, entry) {
            eprintln!("hesabu-desktop: cannot update the recent companies list: {e}");
        }
        Ok(opened)
    }

    /// An existing file's path: relative paths are taken from the default folder.
    fn resolve(&self, path: &str) -> Result<PathBuf, WireError> {
        let path = path.trim();
        if path.is_empty() {
            return Err(
                Error::InvalidInput("Enter the path of the company file.".into()).to_wire(),
            );
        }
        let path = self.default_folder.join(path); // join keeps an absolute `path` as is
        std::path::absolute(&path).map_err(|e| {
            Error::InvalidInput(format!("The path {} is not usable: {e}", path.display())).to_wire()
        })
    }

    /// A new file's path: like [`Self::resolve`], plus the `.hesabu` extension when the name has
    /// none, and the default folder is created when the file goes there.
    fn resolve_new(&self, path: &str) -> Result<PathBuf, WireError> {
        let mut path = self.resolve(path)?;
        if path.extension().is_none() {
            path.set_extension(company_file::EXTENSION);
        }
        if path.parent() == Some(self.default_folder.as_path()) {
            std::fs::create_dir_all(&self.default_folder)
                .map_err(|e| folder_error(&self.default_folder, &e))?;
        }
        Ok(path)
    }
}

async fn describe(file: &CompanyFile) -> Result<OpenedCompany, WireError> {
    Ok(OpenedCompany {
        path: file.path().to_string_lossy().into_owned(),
        name: company::display_name(file).await.wire()?,
        time_zone: company::time_zone(file).await.wire()?,
        etims_sandbox: demo_sandbox::notice(file).await.wire()?.map(str::to_owned),
    })
}

/// Closing only checkpoints the WAL; if it fails, SQLite recovers on the next open, so the
/// error is logged rather than shown.
async fn close_quietly(open: Option<OpenCompany>) {
    if let Some(open) = open {
        let path = open.file.path().to_path_buf();
        if let Err(e) = open.file.close().await {
            eprintln!("hesabu-desktop: closing {} failed: {e}", path.display());
        }
    }
}

fn folder_error(folder: &Path, e: &std::io::Error) -> WireError {
    Error::Unavailable(format!(
        "The folder {} cannot be created ({e}). Choose another location.",
        folder.display()
    ))
    .to_wire()
}

#[cfg(test)]
mod tests {
    use hesabu_store::ErrorKind;

    use super::*;

    fn state() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(dir.path().to_path_buf(), dir.path().join("companies"));
        (dir, state)
    }

    fn new_company() -> NewCompany {
        NewCompany {
            legal_name: "Baraka Hardware Limited".into(),
            trading_name: None,
            kra_pin: "P051234567X".into(),
            branch_id: None,
            address: None,
            fiscal_year_start_month: None,
            admin_email: "owner@baraka.test".into(),
            admin_name: "Wanjiku Mwangi".into(),
            admin_password: "correct horse".into(),
        }
    }

    #[tokio::test]
    async fn without_a_company_or_session_the_errors_say_what_to_do() {
        let (_dir, state) = state();
        let err = state.signed_in().await.unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (ErrorKind::NotFound, "Open a company file first.")
        );
        let err = state.login("a@b.test", "whatever1").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);

        state
            .create_company("baraka", &new_company())
            .await
            .unwrap();
        let err = state.signed_in().await.unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (ErrorKind::AuthFailed, "Sign in first.")
        );
    }

    #[tokio::test]
    async fn create_opens_the_file_signed_out_and_remembers_it() {
        let (dir, state) = state();
        let opened = state
            .create_company("baraka", &new_company())
            .await
            .unwrap();
        let expected = dir.path().join("companies").join("baraka.hesabu");
        assert_eq!(opened.path, expected.to_string_lossy());
        assert_eq!(opened.name, "Baraka Hardware Limited");
        // A real company never gets the demo's sandbox.
        assert_eq!(opened.etims_sandbox, None);
        assert!(state.demo_sandbox().is_none());
        assert!(state.demo_qbo().is_none());
        assert!(state.session_info().await.is_none());
        assert_eq!(state.recent()[0].path, opened.path);

        let info = state
            .login("OWNER@baraka.test", "correct horse")
            .await
            .unwrap();
        assert_eq!(info.name, "Wanjiku Mwangi");
        assert!(state.signed_in().await.is_ok());

        // Opening again (even the same file) ends the session.
        state.open_company(&opened.path).await.unwrap();
        assert!(state.session_info().await.is_none());
        state.close_company().await;
        assert!(state.opened().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_demo_is_created_once_then_reopened() {
        let (_dir, state) = state();
        let first = state.open_demo().await.unwrap();
        assert_eq!(first.name, "Savannah Traders");
        assert!(state.session_info().await.is_none());
        // It signs with the app's local e-TIMS sandbox, and says so.
        assert!(
            first
                .etims_sandbox
                .as_deref()
                .is_some_and(|t| t.contains("test double of KRA") && t.contains("not by KRA")),
            "{first:?}"
        );
        let first_sandbox = state
            .demo_sandbox()
            .expect("the demo's sandbox runs")
            .base_url();
        assert!(state.targets().get("etims").is_some());
        assert!(
            state.demo_qbo().is_some(),
            "the demo's QuickBooks sandbox runs"
        );
        assert!(state.targets().get("qbo").is_some());
        let again = state.open_demo().await.unwrap();
        assert_eq!(again, first);
        assert_eq!(state.recent().len(), 1);
        // Opened again: a new sandbox, on its own port, serving the same device.
        let second_sandbox = state.demo_sandbox().expect("started again").base_url();
        assert_ne!(first_sandbox, second_sandbox);
        assert!(state.targets().get("etims").is_some());
        // And its local QuickBooks sandbox, the write-back's target.
        assert!(state.demo_qbo().is_some());
        assert!(state.targets().get("qbo").is_some());
        let info = state
            .login(demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        assert_eq!(info.name, "Amina Odhiambo");
    }

    #[tokio::test]
    async fn the_scheduler_runs_for_a_job_runner_and_stops_with_the_session() {
        let (_dir, state) = state();
        state.open_demo().await.unwrap();
        // An employee may not run jobs: nothing is scheduled.
        state
            .login("storekeeper@demo.test", demo::DEMO_PASSWORD)
            .await
            .unwrap();
        assert!(!state.background().is_running().await);
        state.logout().await;
        state
            .login(demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        assert!(state.background().is_running().await);
        // The start-up run recorded the interval jobs.
        let (open, session) = state.signed_in().await.unwrap();
        let mut ran = false;
        for _ in 0..100 {
            let jobs = state.scheduler().list(&open.file, &session).await.unwrap();
            if jobs
                .iter()
                .any(|j| j.name == "approval_jobs" && j.runs == 1)
            {
                ran = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        drop(open);
        assert!(ran, "the start-up run happened");
        state.logout().await;
        assert!(!state.background().is_running().await);
        state
            .login(demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        state.shutdown().await;
        assert!(!state.background().is_running().await);
        assert!(state.opened().await.unwrap().is_none());
    }

    /// "Sync now" on the demo (its e-TIMS target is the running local sandbox) returns, on a
    /// runtime like the app's, while the start-up run of the scheduler may be sending.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sync_now_on_the_demo_returns() {
        let (_dir, state) = state();
        state.open_demo().await.unwrap();
        state
            .login(demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        let (open, session) = state.signed_in().await.unwrap();
        let outcome = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            state
                .scheduler()
                .run_now(&open.file, &session, hesabu_store::scheduler::names::OUTBOX),
        )
        .await
        .expect("Sync now returned")
        .unwrap();
        assert_eq!(outcome.status, "ok", "{outcome:?}");
        assert_eq!(outcome.result["dead"], 0, "{outcome:?}");
        drop(open);
        state.shutdown().await;
    }

    #[tokio::test]
    async fn a_failed_open_keeps_the_current_company() {
        let (dir, state) = state();
        let opened = state.open_demo().await.unwrap();
        let missing = dir.path().join("nope.hesabu");
        let err = state
            .open_company(&missing.to_string_lossy())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert_eq!(state.opened().await.unwrap(), Some(opened));
        let err = state.open_company("  ").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
