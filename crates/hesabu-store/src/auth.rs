//! Local sign-in. Passwords are hashed with argon2id; a [`Session`] is the proof that someone
//! signed in, and only this module can make one. Every service takes a `&Session` and asks it
//! for the permission it needs before doing anything.

use argon2::password_hash::{
    self, Decimal, Ident, Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier,
    Salt, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::company_file::CompanyFile;
use crate::entities::app_user;
use crate::error::{Error, Result};
use crate::permissions::{Permission, Role};

/// Shortest password accepted for a new account.
pub const MIN_PASSWORD_LEN: usize = 8;

/// A signed-in user of one company file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    user_id: String,
    email: String,
    name: String,
    role: Role,
}

impl Session {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
    pub fn email(&self) -> &str {
        &self.email
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn role(&self) -> Role {
        self.role
    }

    /// Ok if this user's role grants `permission`, otherwise a message naming what was refused.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.may(permission) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "Permission denied: {} ({}) may not {}. Ask an admin of this company file.",
                self.email,
                self.role,
                permission.describe()
            )))
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.role.may(permission)
    }

    pub fn audit_actor(&self) -> AuditActor {
        AuditActor {
            id: Some(self.user_id.clone()),
            email: self.email.clone(),
        }
    }

    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            user_id: self.user_id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            permissions: crate::permissions::PERMISSIONS
                .iter()
                .find(|(r, _)| *r == self.role)
                .map(|(_, p)| p.to_vec())
                .unwrap_or_default(),
        }
    }

    pub fn from_user(user: &app_user::Model) -> Result<Self> {
        Ok(Self {
            user_id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role.parse()?,
        })
    }
}

/// Who an entry is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    pub id: Option<String>,
    pub email: String,
}

impl AuditActor {
    /// Scheduled jobs and other work nobody clicked.
    pub fn system() -> Self {
        Self {
            id: None,
            email: "system".into(),
        }
    }
}

/// Signs `email` in with `password`. The same message for an unknown email and a wrong password,
/// so the screen does not reveal which accounts exist.
pub async fn login(file: &CompanyFile, email: &str, password: &str) -> Result<Session> {
    let email = normalise_email(email);
    let user = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email.as_str()))
        .one(file.reader())
        .await?;
    let Some(user) = user else {
        // Spend the same time as a real check, so timing does not reveal the account either.
        let _ = verify_password(password, DUMMY_HASH);
        return Err(wrong_credentials());
    };
    if !verify_password(password, &user.password_hash) {
        return Err(wrong_credentials());
    }
    if !user.active {
        return Err(Error::AuthFailed(format!(
            "The account {email} is deactivated. Ask an admin of this company file to reactivate it."
        )));
    }
    Session::from_user(&user)
}

fn wrong_credentials() -> Error {
    Error::AuthFailed(
        "Wrong email or password for this company file. Check both and try again.".into(),
    )
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Hashes a new password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String> {
    check_password_strength(password)?;
    let salt = SaltString::generate(&mut OsRng);
    ReturnedMemory::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password failed: {e}")))
}

pub fn check_password_strength(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::invalid(format!(
            "The password is too short: use at least {MIN_PASSWORD_LEN} characters."
        )));
    }
    Ok(())
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            ReturnedMemory::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// argon2 with working memory that goes back to the operating system afterwards.
///
/// Each hash needs `m` KiB of working memory (19 MiB with the defaults). Allocated the crate's
/// way, glibc serves it from a heap arena once the first free has raised its dynamic mmap
/// threshold, and keeps it: 19–36 MiB stayed resident in the desktop after a sign-in
/// (docs/benchmarks.md, desktop memory). A request above glibc's highest dynamic threshold
/// (32 MiB on 64-bit) is always a mapping of its own, unmapped on free; only the blocks argon2
/// uses are ever touched, so the extra capacity costs address space, not memory. The hash is the
/// crate's own (same PHC string, same parameters); only where its memory lives differs.
#[derive(Default)]
struct ReturnedMemory {
    algorithm: Algorithm,
    version: Version,
    params: Params,
}

/// Above glibc's `DEFAULT_MMAP_THRESHOLD_MAX` (32 MiB on 64-bit targets).
const ALWAYS_MAPPED_BYTES: usize = 33 * 1024 * 1024;

impl PasswordHasher for ReturnedMemory {
    type Params = Params;

    fn hash_password<'a>(
        &self,
        password: &[u8],
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let salt = salt.into();
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let params = &self.params;
        let argon2 = Argon2::new(self.algorithm, self.version, params.clone());
        let needed = params.block_count();
        let mut blocks: Vec<Block> =
            Vec::with_capacity(needed.max(ALWAYS_MAPPED_BYTES / Block::SIZE));
        blocks.resize(needed, Block::default());
        let output = Output::init_with(
            params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN),
            |out| {
                argon2
                    .hash_password_into_with_memory(password, salt_bytes, out, &mut blocks)
                    .map_err(password_hash::Error::from)
            },
        )?;
        Ok(PasswordHash {
            algorithm: self.algorithm.ident(),
            version: Some(self.version.into()),
            params: ParamsString::try_from(params)?,
            salt: Some(salt),
            hash: Some(output),
        })
    }

    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        algorithm: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let algorithm = algorithm
            .map(Algorithm::try_from)
            .transpose()?
            .unwrap_or_default();
        let version = version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        ReturnedMemory {
            algorithm,
            version,
            params,
        }
        .hash_password(password, salt)
    }
}

/// A valid argon2id hash of a random string, for constant-ish time on unknown emails.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Fh3M0Yk9t2VJcXg0b2dP3eXxq8Q3nJ0a6mYw7cJ1xQ";

/// Who is signed in, and what they may do (the UI hides what the core would refuse).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SessionInfo {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub permissions: Vec<Permission>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same PHC string as the crate's own hashing, and each verifies the other's.
    #[test]
    fn returned_memory_hashes_exactly_as_argon2_does() {
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let ours = ReturnedMemory::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let crates = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours, crates);
        assert!(verify_password("correct horse", &crates));
        assert!(!verify_password("correct horse", DUMMY_HASH));
        // Hashes stored with other parameters (older files, other tools) still verify.
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, Some(32)).unwrap(),
        )
        .hash_password(b"correct horse", &salt)
        .unwrap()
        .to_string();
        assert!(verify_password("correct horse", &light));
        assert!(!verify_password("correct hors", &light));
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse!", &hash));
    }

    #[test]
    fn short_passwords_are_refused_with_the_minimum() {
        let err = hash_password("short").unwrap_err().to_string();
        assert!(err.contains("at least 8"), "{err}");
    }

    #[test]
    fn the_dummy_hash_parses_so_unknown_emails_cost_a_real_check() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
