//! A whole print to the loopback fake printer: the bytes it records are the rendered receipt,
//! status is asked before and after, and each printer problem is a typed error that says the
//! receipt stays stored.

use std::time::{Duration, Instant};

use hesabu_receipts::print::escpos::{self, EscPosOptions};
use hesabu_receipts::print::fake::{Behaviour, FakePrinter, Printed, decode};
use hesabu_receipts::print::{NetworkPrinter, PrintError, PrinterProblem, Stage};
use hesabu_receipts::samples;

const WAIT: Duration = Duration::from_secs(5);

fn printer_for(fake: &FakePrinter) -> NetworkPrinter {
    let mut printer = NetworkPrinter::new(&fake.address()).unwrap();
    printer.connect_timeout = Duration::from_secs(2);
    printer.io_timeout = Duration::from_secs(2);
    printer
}

#[track_caller]
fn assert_says_stored(err: &PrintError) {
    let message = err.to_string();
    assert!(message.contains("stays stored"), "{message}");
    assert!(message.contains("print it again"), "{message}");
}

#[test]
fn a_sample_receipt_prints_end_to_end() {
    let fake = FakePrinter::start().unwrap();
    let printer = printer_for(&fake);
    let receipt = samples::shop_invoice();
    let options = EscPosOptions::paper_80mm();

    let report = printer.print_receipt(&receipt, &options).unwrap();
    let expected = escpos::render(&receipt, &options).unwrap().bytes;
    assert_eq!(report.bytes_sent, expected.len());
    assert_eq!(report.address, fake.address());
    assert!(report.warnings.is_empty());
    assert!(report.transliterated.is_empty() && report.unprintable.is_empty());

    let jobs = fake.wait_for_jobs(1, WAIT);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(
        job.data, expected,
        "the printer got exactly the rendered job"
    );
    assert_eq!(job.status_queries, [1, 2, 4, 1, 2, 4]);
    assert_eq!(job.queries_before_data, 3, "asked before and after the job");

    let items = decode(&job.data).unwrap().items;
    assert!(items.iter().any(|i| matches!(
        i,
        Printed::Qr { data, .. } if data.as_slice() == b"https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00ABCDEFGH12345678"
    )));
    assert!(items.iter().any(
        |i| matches!(i, Printed::Line { text, .. } if text.ends_with("KRACU0100000001/170 NS"))
    ));
    assert_eq!(items.last(), Some(&Printed::Cut { partial: true }));
}

#[test]
fn a_printer_problem_before_printing_is_a_typed_error_and_nothing_prints() {
    let cases = [
        (
            Behaviour::PaperOut,
            PrinterProblem::PaperOut,
            "out of paper",
            "paper_out",
        ),
        (
            Behaviour::CoverOpen,
            PrinterProblem::CoverOpen,
            "cover is open",
            "cover_open",
        ),
        (
            Behaviour::Error,
            PrinterProblem::Error,
            "paper jam",
            "printer_error",
        ),
    ];
    for (behaviour, expected, words, kind) in cases {
        let fake = FakePrinter::start().unwrap();
        fake.set_behaviour(behaviour);
        let printer = printer_for(&fake);
        let err = printer
            .print_receipt(&samples::fixture_invoice(), &EscPosOptions::paper_58mm())
            .unwrap_err();
        match &err {
            PrintError::Printer {
                problem,
                before,
                bytes_sent,
                address,
            } => {
                assert_eq!(*problem, expected);
                assert!(*before);
                assert_eq!(*bytes_sent, 0);
                assert_eq!(address, &fake.address());
            }
            other => panic!("{behaviour:?}: {other:?}"),
        }
        assert_eq!(err.kind(), kind);
        let message = err.to_string();
        assert!(message.contains(words), "{message}");
        assert!(message.contains("Nothing was printed"), "{message}");
        assert!(message.contains(&fake.address()), "{message}");
        assert_says_stored(&err);

        let jobs = fake.wait_for_jobs(1, WAIT);
        assert_eq!(jobs.len(), 1);
        assert!(
            jobs[0].data.is_empty(),
            "{behaviour:?}: nothing sent to print"
        );
        assert_eq!(jobs[0].status_queries, [1, 2, 4]);
    }
}

#[test]
fn paper_running_out_during_the_job_is_reported_after_it() {
    let fake = FakePrinter::start().unwrap();
    fake.set_behaviour(Behaviour::PaperRunsOutDuringJob);
    let receipt = samples::fixture_invoice();
    let options = EscPosOptions::paper_80mm();
    let expected = escpos::render(&receipt, &options).unwrap().bytes;
    let err = printer_for(&fake)
        .print_receipt(&receipt, &options)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PrintError::Printer { problem: PrinterProblem::PaperOut, before: false, bytes_sent, .. }
                if *bytes_sent == expected.len()
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("may be missing or incomplete"),
        "{message}"
    );
    assert!(message.contains("Load a new paper roll"), "{message}");
    assert_says_stored(&err);
    let jobs = fake.wait_for_jobs(1, WAIT);
    assert_eq!(jobs[0].data, expected);
}

#[test]
fn paper_near_its_end_is_a_warning_unless_refused() {
    let fake = FakePrinter::start().unwrap();
    fake.set_behaviour(Behaviour::PaperNearEnd);
    let mut printer = printer_for(&fake);
    let report = printer
        .print_receipt(&samples::fixture_invoice(), &EscPosOptions::paper_80mm())
        .unwrap();
    assert_eq!(report.warnings, [PrinterProblem::PaperNearEnd]);

    printer.refuse_when_near_end = true;
    let err = printer
        .print_receipt(&samples::fixture_invoice(), &EscPosOptions::paper_80mm())
        .unwrap_err();
    assert_eq!(err.kind(), "paper_near_end");
    assert!(err.to_string().contains("nearly used up"), "{err}");
    let jobs = fake.wait_for_jobs(2, WAIT);
    assert!(!jobs[0].data.is_empty());
    assert!(jobs[1].data.is_empty());
}

#[test]
fn the_status_check_alone_prints_nothing() {
    let fake = FakePrinter::start().unwrap();
    let printer = printer_for(&fake);
    let status = printer.status().unwrap();
    assert!(status.online && !status.paper_out && !status.cover_open);
    assert_eq!(status.blocking(), None);
    fake.set_behaviour(Behaviour::CoverOpen);
    let status = printer.status().unwrap();
    assert!(!status.online && status.cover_open);
    let jobs = fake.wait_for_jobs(2, WAIT);
    assert!(jobs.iter().all(|j| j.data.is_empty()));
}

#[test]
fn a_switched_off_printer_is_unreachable() {
    let address = FakePrinter::unplugged_address().unwrap();
    let printer = NetworkPrinter::new(&address).unwrap();
    let err = printer
        .print_receipt(&samples::fixture_invoice(), &EscPosOptions::paper_80mm())
        .unwrap_err();
    assert!(matches!(err, PrintError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains(&address), "{err}");
    assert!(err.to_string().contains("switched on"), "{err}");
    assert_says_stored(&err);
}

#[test]
fn a_printer_that_hangs_up_is_reported() {
    let fake = FakePrinter::start().unwrap();
    fake.set_behaviour(Behaviour::CloseOnConnect);
    let err = printer_for(&fake)
        .print_receipt(&samples::fixture_invoice(), &EscPosOptions::paper_80mm())
        .unwrap_err();
    assert!(
        matches!(
            err,
            PrintError::Disconnected {
                stage: Stage::StatusBefore,
                ..
            }
        ),
        "{err:?}"
    );
    assert_says_stored(&err);
}

#[test]
fn a_hung_printer_times_out_instead_of_blocking() {
    let fake = FakePrinter::start().unwrap();
    fake.set_behaviour(Behaviour::Hang);
    let mut printer = printer_for(&fake);
    printer.io_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = printer
        .print_receipt(&samples::fixture_invoice(), &EscPosOptions::paper_80mm())
        .unwrap_err();
    assert!(
        matches!(
            err,
            PrintError::Timeout {
                stage: Stage::StatusBefore,
                waited,
                ..
            } if waited == Duration::from_millis(300)
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains("300ms"), "{err}");
    assert_says_stored(&err);
}

#[test]
fn a_printer_that_stops_reading_times_out_while_sending() {
    let fake = FakePrinter::start().unwrap();
    fake.set_behaviour(Behaviour::Hang);
    let mut printer = printer_for(&fake);
    printer.io_timeout = Duration::from_millis(300);
    printer.check_status = false;
    // More than the sockets can buffer, so the write has to wait for the printer.
    let job = vec![b'x'; 64 << 20];
    let err = printer.send(&job).unwrap_err();
    assert!(
        matches!(
            err,
            PrintError::Timeout {
                stage: Stage::Sending,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_device_that_is_not_an_escpos_printer_is_named() {
    let fake = FakePrinter::start().unwrap();
    fake.set_behaviour(Behaviour::Garbage);
    let err = printer_for(&fake).send(b"\x1b@hello\n").unwrap_err();
    assert!(
        matches!(err, PrintError::NotEscPos { reply: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("port 9100"), "{err}");
}

#[test]
fn without_status_checks_the_bytes_still_arrive() {
    let fake = FakePrinter::start().unwrap();
    fake.set_behaviour(Behaviour::PaperOut);
    let mut printer = printer_for(&fake);
    printer.check_status = false;
    let report = printer.send(b"\x1b@hello\n").unwrap();
    assert_eq!(report.bytes_sent, 8);
    let jobs = fake.wait_for_jobs(1, WAIT);
    assert_eq!(jobs[0].data, b"\x1b@hello\n");
    assert!(jobs[0].status_queries.is_empty());
}
