//! Users as the app keeps them: the domain's user service (`hesabu_core::users`, and
//! `approvals::org` for deactivating) plus what e-TIMS needs. When the company has an e-TIMS
//! device, a user added or deactivated is queued for KRA as a branch user (`saveBhfUser`,
//! [`crate::etims::kra_records::queue_branch_users_in`]) in the same unit of work as the change,
//! so the two commit or roll back together. The domain does not know e-TIMS, which is why this
//! lives here. The CLI and the desktop call these, not the domain's functions.

use hesabu_core::sales::fiscal as ledger;
use hesabu_core::users::{self as domain, NewUser, UserView};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::uow::UnitOfWork;

use crate::etims::kra_records;

/// Adds a user (admins only) and, with an e-TIMS device, queues their registration at KRA.
pub async fn add(file: &CompanyFile, session: &Session, new: &NewUser) -> Result<UserView> {
    let prepared = domain::prepare(session, new)?;
    let mut uow = file.begin(session).await?;
    let user = domain::add_in(&mut uow, prepared).await?;
    tell_kra(&mut uow).await?;
    uow.commit().await?;
    Ok(user)
}

/// Deactivates a user (their open approval steps handed on) and, with an e-TIMS device, tells
/// KRA they are no longer a branch user (`useYn: N`) if KRA had them.
pub async fn deactivate(file: &CompanyFile, session: &Session, email: &str) -> Result<UserView> {
    let mut uow = file.begin(session).await?;
    let after = hesabu_core::approvals::org::deactivate_user_in(&mut uow, session, email).await?;
    tell_kra(&mut uow).await?;
    uow.commit().await?;
    domain::view_of(file, &after).await
}

async fn tell_kra(uow: &mut UnitOfWork) -> Result<()> {
    if ledger::device(uow.db()).await?.is_some() {
        kra_records::queue_branch_users_in(uow).await?;
    }
    Ok(())
}
