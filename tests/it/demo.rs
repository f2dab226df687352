//! The demo company: every role present, every documented user can sign in.

use hesabu_core::demo::{DEMO_DEPARTMENTS, DEMO_PASSWORD, DEMO_USERS};
use hesabu_core::permissions::Role;

use crate::support;

#[tokio::test]
async fn the_demo_company_has_every_role_and_documented_logins() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_core::company_file::CompanyFile::open(&path, support::clock())
        .await
        .unwrap();
    for (email, name, role, _, _) in DEMO_USERS {
        let session = hesabu_core::auth::login(&file, email, DEMO_PASSWORD)
            .await
            .unwrap();
        assert_eq!(session.role(), role, "{email}");
        assert_eq!(session.name(), name);
        assert!(email.ends_with("@demo.test"));
    }
    for role in Role::ALL {
        assert!(
            DEMO_USERS.iter().any(|u| u.2 == role),
            "no demo user is {role}"
        );
    }
    let admin = hesabu_core::auth::login(&file, "admin@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let departments: Vec<String> = hesabu_core::departments::list(&file, &admin)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(departments.len(), DEMO_DEPARTMENTS.len());
    let users = hesabu_core::users::list(&file, &admin).await.unwrap();
    let storekeeper = users
        .iter()
        .find(|u| u.email == "storekeeper@demo.test")
        .unwrap();
    assert_eq!(
        storekeeper.manager_email.as_deref(),
        Some("ops.manager@demo.test")
    );
    assert_eq!(storekeeper.department.as_deref(), Some("Operations"));
    let report = hesabu_core::audit::verify(&file, &admin).await.unwrap();
    assert!(report.ok);
}
