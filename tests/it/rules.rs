//! Business rules in the approval engine: the seed examples (docs/examples/rules-*.json)
//! imported and acting in the unit of work of a document's creation or submission, the stored
//! trace, tax review holding an invoice back from e-TIMS, and the `hesabu rules` commands.

use hesabu_app::demo::DEMO_PASSWORD;
use hesabu_core::approvals::documents;
use hesabu_core::approvals::rule_hooks;
use hesabu_core::rules::service as rules;
use hesabu_core::workflows::WorkflowType;
use hesabu_store::ErrorKind;
use serde_json::json;

use crate::support::{env, hesabu};
use crate::workflows::{approve_all, demo, enable, executions_of, invoice, login};

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("docs/examples")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn example_path(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("docs/examples")
        .join(name)
        .display()
        .to_string()
}

async fn import(file: &hesabu_store::company_file::CompanyFile, name: &str) {
    let cfo = login(file, "cfo@demo.test").await;
    rules::import(file, &cfo, &example(name)).await.unwrap();
}

#[tokio::test]
async fn a_high_value_invoice_gets_finance_and_executive_levels_at_submission() {
    let d = demo().await;
    import(&d.file, "rules-high-value-invoice.json").await;
    let rep = login(&d.file, "sales.rep@demo.test").await;
    let doc = documents::create(&d.file, &rep, &invoice(60_000, &[Some("B")], json!({})))
        .await
        .unwrap();
    let doc = documents::submit(&d.file, &rep, &doc.id).await.unwrap();
    let steps = doc.current_request.unwrap().steps;
    let chain: Vec<(String, String)> = steps
        .iter()
        .map(|s| (s.level_name.clone(), s.approver_email.clone()))
        .collect();
    assert!(
        chain.contains(&("Finance".into(), "cfo@demo.test".into())),
        "{chain:?}"
    );
    // Amina (admin@demo.test) is the executive: in the chain once, either already (the
    // policy's empty level went to an admin) or added by the rule.
    assert_eq!(
        chain.iter().filter(|(_, e)| e == "admin@demo.test").count(),
        1,
        "{chain:?}"
    );
    let cfo = login(&d.file, "cfo@demo.test").await;
    let evals = rules::evaluations(&d.file, &cfo, Some(&doc.id), 10)
        .await
        .unwrap();
    let submitted = evals.iter().find(|e| e.trigger == "submitted").unwrap();
    assert_eq!(submitted.outcome, "actions");
    assert!(
        submitted.actions[0].effect.contains("Finance"),
        "{:?}",
        submitted.actions
    );
    assert!(submitted.trace[0].rows[0].matched);
    assert_eq!(
        submitted.trace[0].rows[0].conditions[0].actual.as_deref(),
        Some("60000")
    );
    let created = evals.iter().find(|e| e.trigger == "created").unwrap();
    assert!(
        created.actions[0].effect.starts_with("recorded"),
        "{:?}",
        created.actions
    );

    // A small invoice matches no row: its evaluation says so.
    let small = documents::create(&d.file, &rep, &invoice(1_000, &[Some("B")], json!({})))
        .await
        .unwrap();
    let evals = rules::evaluations(&d.file, &cfo, Some(&small.id), 10)
        .await
        .unwrap();
    assert_eq!(evals[0].outcome, "passed");
    assert!(!evals[0].trace[0].rows[0].matched);
}

#[tokio::test]
async fn a_new_customer_over_5000_needs_a_credit_check() {
    let d = demo().await;
    import(&d.file, "rules-new-customer-credit-check.json").await;
    let rep = login(&d.file, "sales.rep@demo.test").await;
    let doc = documents::create(
        &d.file,
        &rep,
        &invoice(6_000, &[Some("B")], json!({ "customer_age_days": 12 })),
    )
    .await
    .unwrap();
    let doc = documents::submit(&d.file, &rep, &doc.id).await.unwrap();
    let steps = doc.current_request.unwrap().steps;
    let credit: Vec<&str> = steps
        .iter()
        .filter(|s| s.level_name == "Credit check")
        .map(|s| s.approver_email.as_str())
        .collect();
    assert_eq!(credit, vec!["cfo@demo.test"]);
    assert!(steps.iter().any(|s| s.why.contains("credit check")));
    // The same invoice for an established customer gets no credit check.
    let old = documents::create(
        &d.file,
        &rep,
        &invoice(6_000, &[Some("B")], json!({ "customer_age_days": 400 })),
    )
    .await
    .unwrap();
    let old = documents::submit(&d.file, &rep, &old.id).await.unwrap();
    assert!(
        old.current_request
            .unwrap()
            .steps
            .iter()
            .all(|s| s.level_name != "Credit check")
    );
}

#[tokio::test]
async fn a_foreign_currency_invoice_without_a_rate_is_blocked_and_the_trace_is_kept() {
    let d = demo().await;
    import(&d.file, "rules-foreign-currency.json").await;
    let rep = login(&d.file, "sales.rep@demo.test").await;
    let mut new = invoice(1_000, &[Some("B")], json!({}));
    new.currency = Some("USD".into());
    let doc = documents::create(&d.file, &rep, &new).await.unwrap();
    let err = documents::submit(&d.file, &rep, &doc.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let text = err.to_string();
    assert!(
        text.contains("no exchange rate") && text.contains("nothing was submitted"),
        "{text}"
    );
    let after = documents::show(&d.file, &rep, &doc.id).await.unwrap();
    assert_eq!(after.status.as_str(), "draft");
    let cfo = login(&d.file, "cfo@demo.test").await;
    let evals = rules::evaluations(&d.file, &cfo, Some(&doc.id), 10)
        .await
        .unwrap();
    let blocked = evals
        .iter()
        .find(|e| e.outcome == "blocked" && e.trigger == "submitted");
    let blocked = blocked.expect("the blocked evaluation is stored");
    assert_eq!(blocked.trace[0].rows[0].name, "Exchange rate missing");
    assert!(blocked.trace[0].rows[0].matched);
    assert!(!blocked.trace[0].rows[1].evaluated);
    let audit = hesabu_store::audit::list(&d.file, &cfo, 5).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "rules.blocked"));

    // With a positive rate the rule passes (the policy, written in KES, then refuses the USD
    // document on its own terms: rules run first).
    let mut new = invoice(1_000, &[Some("B")], json!({ "exchange_rate": "129.40" }));
    new.currency = Some("USD".into());
    let doc = documents::create(&d.file, &rep, &new).await.unwrap();
    let err = documents::submit(&d.file, &rep, &doc.id)
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.contains("exchange rate"), "{err}");
    let evals = rules::evaluations(&d.file, &cfo, Some(&doc.id), 10)
        .await
        .unwrap();
    assert_eq!(evals[0].outcome, "passed");
}

#[tokio::test]
async fn a_line_without_a_tax_code_is_held_from_etims_until_the_review_is_resolved() {
    let d = demo().await;
    import(&d.file, "rules-missing-tax-code.json").await;
    enable(
        &d.file,
        WorkflowType::InvoiceSync,
        json!({ "enabled": true, "autoSync": true }),
    )
    .await;
    let rep = login(&d.file, "sales.rep@demo.test").await;
    let doc = documents::create(
        &d.file,
        &rep,
        &invoice(3_000, &[Some("B"), None], json!({})),
    )
    .await
    .unwrap();
    let cfo = login(&d.file, "cfo@demo.test").await;
    let review = rule_hooks::tax_review(&d.file, &cfo, &doc.id)
        .await
        .unwrap();
    assert_eq!(
        review,
        Some(("flagged".into(), "a line has no tax code".into()))
    );
    documents::submit(&d.file, &rep, &doc.id).await.unwrap();
    approve_all(&d.file, &doc.id).await;

    let held = executions_of(&d.file, &doc.id).await.remove(0);
    assert_eq!(
        (
            held.status.as_str(),
            held.error_kind.as_deref(),
            held.outbox_id.as_deref()
        ),
        ("pending", Some("held"), None)
    );
    assert!(held.error_message.unwrap().contains("tax review"));
    let admin = login(&d.file, "admin@demo.test").await;
    assert!(
        hesabu_store::outbox::list(&d.file, &admin, None, 100)
            .await
            .unwrap()
            .is_empty(),
        "nothing goes to e-TIMS while flagged"
    );

    // The review is listed, with the rule's reason in its words (the desktop's Tax reviews tab).
    let waiting = rule_hooks::tax_reviews(&d.file, &cfo).await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].number, doc.number);
    assert_eq!(waiting[0].reason, "a line has no tax code");
    assert_eq!(waiting[0].raised_by, "Mercy Achieng");

    // Resolving needs a note and RulesManage; it queues the held execution.
    let rep_err = rule_hooks::resolve_tax_review(&d.file, &rep, &doc.id, "ok")
        .await
        .unwrap_err();
    assert_eq!(rep_err.kind(), ErrorKind::PermissionDenied);
    let out = hesabu(
        &[
            "--company",
            d.path.to_str().unwrap(),
            "--as",
            "cfo@demo.test",
            "--json",
            "rules",
            "resolve",
            // By the number people use, not the id.
            &doc.number,
            "--note",
            "line 2 is exempt: tax code A confirmed with KRA",
        ],
        env(Some(DEMO_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let resolved = out.json();
    assert_eq!(resolved["executions"][0]["id"], held.id);
    assert_eq!(resolved["executions"][0]["status"], "pending");
    let queued = executions_of(&d.file, &doc.id).await.remove(0);
    assert!(
        queued.outbox_id.is_some() && queued.error_kind.is_none(),
        "{queued:?}"
    );
    let again = rule_hooks::resolve_tax_review(&d.file, &cfo, &doc.id, "again")
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);
    assert!(
        rule_hooks::tax_reviews(&d.file, &cfo)
            .await
            .unwrap()
            .is_empty(),
        "resolved reviews leave the list"
    );
}

#[tokio::test]
async fn cli_rules_import_list_test_and_evaluations() {
    let d = demo().await;
    let company = d.path.to_str().unwrap().to_owned();
    let run = |email: &'static str, args: Vec<String>| {
        let company = company.clone();
        async move {
            let mut all = vec![
                "--company".to_owned(),
                company,
                "--as".into(),
                email.into(),
                "--json".into(),
            ];
            all.extend(args);
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            hesabu(&refs, env(Some(DEMO_PASSWORD), None)).await
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    for name in [
        "rules-high-value-invoice.json",
        "rules-new-customer-credit-check.json",
        "rules-foreign-currency.json",
        "rules-missing-tax-code.json",
    ] {
        let out = run(
            "cfo@demo.test",
            args(&["rules", "import", &example_path(name)]),
        )
        .await;
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert_eq!(out.json()["version"], 1);
    }
    let out = run(
        "cfo@demo.test",
        args(&[
            "rules",
            "import",
            &example_path("rules-high-value-invoice.json"),
        ]),
    )
    .await;
    assert_eq!(out.json()["version"], 2);
    let out = run("auditor@demo.test", args(&["rules", "list"])).await;
    assert_eq!(out.code, 0);
    assert_eq!(
        out.json().as_array().unwrap().len(),
        4,
        "the newest version of each name"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, json!({ "name": "x", "document_type": "sales_invoice", "rows": [{ "name": "r", "when": [{ "field": "amount", "op": "~", "value": "1" }], "then": [{ "action": "block", "reason": "no" }] }] }).to_string()).unwrap();
    let out = run(
        "cfo@demo.test",
        args(&["rules", "import", bad.to_str().unwrap()]),
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(
        out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains('~')
    );

    // rules test: a dry run against a stored document, with the trace.
    let rep = login(&d.file, "sales.rep@demo.test").await;
    let doc = documents::create(&d.file, &rep, &invoice(75_000, &[None], json!({})))
        .await
        .unwrap();
    let before = crate::support::count(&d.path, "rule_evaluation").await;
    let out = run(
        "cfo@demo.test",
        args(&[
            "rules",
            "test",
            &example_path("rules-high-value-invoice.json"),
            "--doc",
            &doc.id,
        ]),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let ev = out.json();
    assert_eq!(ev["outcome"], "actions");
    assert_eq!(ev["trace"][0]["rows"][0]["matched"], true);
    assert_eq!(ev["actions"].as_array().unwrap().len(), 2);
    assert_eq!(
        crate::support::count(&d.path, "rule_evaluation").await,
        before,
        "a dry run stores nothing"
    );
    let text = hesabu(
        &[
            "--company",
            &company,
            "--as",
            "cfo@demo.test",
            "rules",
            "test",
            &example_path("rules-missing-tax-code.json"),
            "--doc",
            &doc.id,
        ],
        env(Some(DEMO_PASSWORD), None),
    )
    .await;
    assert!(
        text.stdout.contains("MATCHED") && text.stdout.contains("line 1"),
        "{}",
        text.stdout
    );

    let out = run(
        "auditor@demo.test",
        args(&["rules", "evaluations", "--doc", &doc.id]),
    )
    .await;
    assert_eq!(out.code, 0);
    let evals = out.json();
    assert_eq!(evals[0]["trigger"], "created");
    assert_eq!(
        evals[0]["trace"].as_array().unwrap().len(),
        4,
        "every active sales-invoice table"
    );
    let out = run("storekeeper@demo.test", args(&["rules", "evaluations"])).await;
    assert_eq!(out.code, 3);
}
