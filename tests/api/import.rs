//! `endring import cis|changes`, run as the built binary against a fresh database: an
//! iTop export and a GLPI one in each encoding and separator, malformed rows reported by
//! line and reason with nothing of them stored, a dry run, an import that stops and is
//! continued, and a 50,000-row file.

use crate::helpers::{Backend, TestApp, TestDb};
use crate::on_both_backends;
use endring::domain::change::ChangeState;
use std::process::{Command, Stdio};

on_both_backends!(
    an_itop_export_imports_with_its_states_people_dates_and_a_report_of_what_it_skipped,
    a_glpi_export_in_windows_1252_with_semicolons_imports_its_norwegian_letters,
    malformed_rows_are_reported_by_line_and_reason_and_nothing_of_them_is_stored,
    a_dry_run_writes_nothing_and_a_file_without_the_needed_columns_is_refused,
    an_import_that_stops_says_where_and_continues_when_run_again,
    fifty_thousand_rows_import_in_batches_with_the_chain_intact,
    an_imported_change_shows_where_it_came_from_on_its_page_and_in_the_api,
    a_list_counts_a_thousand_past_its_page_and_says_more_beyond,
);

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn endring(db: &TestDb, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_endring"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .env("ENDRING_TIMEZONE", "Europe/Oslo")
        .stdin(Stdio::null())
        .output()
        .expect("run endring");
    Run {
        code: output.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&output.stdout).into_owned(),
        err: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A database with its schema and Ola, who requested most of the old changes.
fn database(backend: &Backend) -> TestDb {
    let db = TestDb::create(backend);
    let run = endring(
        &db,
        &[
            "user",
            "add",
            "--email",
            "ola@kommune.no",
            "--name",
            "Ola Nordmann",
            "--password",
            "correct horse battery",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.err);
    db
}

/// Writes `bytes` to a file of its own; its path.
fn file(name: &str, bytes: &[u8]) -> tempfile::TempPath {
    let file = tempfile::Builder::new().prefix(name).suffix(".csv").tempfile().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    file.into_temp_path()
}

fn count(db: &TestDb, sql: &str) -> i64 {
    db.count(sql)
}

const ITOP_CIS: &[u8] = b"Name;finalclass;Business criticity;Owner email\nSak- og arkivsystem;ApplicationSolution;high;arkiv@kommune.no\nL\xf8nnssystem;ApplicationSolution;medium;lonn@kommune.no\n";

async fn an_itop_export_imports_with_its_states_people_dates_and_a_report_of_what_it_skipped(
    backend: Backend,
) {
    let db = database(&backend);
    let cis = file("itop-cis", ITOP_CIS);
    let run = endring(&db, &["import", "cis", cis.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{} {}", run.out, run.err);
    assert!(run.err.contains("windows-1252") && run.err.contains("';'"), "{}", run.err);
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cis WHERE name = 'Lønnssystem' AND criticality = 2 AND kind = 'applicationsolution'"), 1);

    // UTF-8 with a BOM, commas, a description over two lines, iTop's labels as headers.
    let changes = [
        "\u{feff}Ref,Title,Status,Start date,End date,Caller->Full name,Agent->Full name,Description,CIs,finalclass",
        "C-000101,Oppgradere sak/arkiv,closed,2025-03-01 18:00:00,2025-03-01 20:00:00,Ola Nordmann,Kari Utfører,\"To",
        "linjer\",Sak- og arkivsystem,NormalChange",
        "C-000102,Ny brannmur,frozen,,,Ola Nordmann,,,,",
        "C-000103,Lønnskjøring,approved,2030-12-20 18:00,2030-12-20 19:00,ola@kommune.no,,,Lønnssystem,RoutineChange",
        "C-000104,Avvist endring,notapproved,,,Per Ukjent,,,,",
        "C-000105,Under arbeid,plannedscheduled,2030-01-10 08:00,2030-01-10 09:00,Ola Nordmann,,,,EmergencyChange",
    ]
    .join("\n");
    let path = file("itop-changes", changes.as_bytes());
    let run = endring(&db, &["import", "changes", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "rows were rejected: {} {}", run.out, run.err);
    assert!(run.out.contains("Imported 3 changes of 5 rows (itop export"), "{}", run.out);
    assert!(
        run.out.contains("line 4 (C-000102): unknown state `frozen`"),
        "the line of the file, past the two-line row: {}",
        run.out
    );
    assert!(run.out.contains("line 6 (C-000104): the requester `Per Ukjent` is no user"), "{}", run.out);

    let state = |id: &str| {
        count(&db, &format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes c JOIN change_imports i ON i.change_id = c.id WHERE i.original_id = '{id}' AND {}",
            match id {
                "C-000101" => "c.state = 'closed' AND c.change_type = 'normal' AND c.description = 'To\nlinjer' AND i.original_state = 'closed' AND i.original_implementer = 'Kari Utfører' AND c.implementer_id IS NULL",
                "C-000103" => "c.state = 'scheduled' AND c.change_type = 'standard' AND i.source = 'itop' AND i.line = 5",
                _ => "c.state = 'authorize' AND c.change_type = 'emergency'",
            }
        ))
    };
    for id in ["C-000101", "C-000103", "C-000105"] {
        assert_eq!(state(id), 1, "{id} as mapped");
    }
    // Wall-clock times in Oslo: 18:00 on 1 March 2025 is 17:00 UTC.
    let planned = count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes WHERE title = 'Oppgradere sak/arkiv' AND planned_start = '2025-03-01 17:00:00'");
    assert_eq!(planned, 1, "the window as the export's zone wrote it");
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM change_cis"), 2, "the CIs each named");
    assert_eq!(
        count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'import'"),
        3,
        "an event per change"
    );
    assert_eq!(
        count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'import_changes'"),
        1
    );

    // Run again with a requester for those no user filed: only the new one comes in.
    let run = endring(&db, &["import", "changes", path.to_str().unwrap(), "--requester", "ola@kommune.no"]);
    assert_eq!(run.code, 2, "{}", run.out);
    assert!(
        run.out.contains("Imported 1 changes of 5 rows") && run.out.contains("3 imported before, 1 rejected"),
        "{}",
        run.out
    );
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes"), 4);
    let verify = endring(&db, &["audit", "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.err);
}

async fn a_glpi_export_in_windows_1252_with_semicolons_imports_its_norwegian_letters(backend: Backend) {
    let db = database(&backend);
    let export = b"ID;Title;Status;Opening date;Closing date;Requester - Requester;Description\n\
17;L\xf8nnskj\xf8ring i \xc5lesund;Closed;01.02.2024 09:15;03.02.2024 16:00;Ola Nordmann;\xc6ndret oppsett\n\
18;Ny skriver;Refused;2024-02-05 10:00;;Ola Nordmann;\n\
19;Kantine;Canceled;2024-02-06 10:00;;Ola Nordmann;\n\
20;Test;Qualification;2024-02-07 10:00;;Ola Nordmann;\n";
    let path = file("glpi", export);
    let run = endring(&db, &["import", "changes", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{} {}", run.out, run.err);
    assert!(
        run.out.contains("(glpi export") && run.out.contains("Imported 4 changes of 4 rows"),
        "{}",
        run.out
    );
    assert!(
        run.out.contains("1 of them were scheduled or under way without a planned window"),
        "{}",
        run.out
    );
    let waiting = count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes c JOIN change_imports i ON i.change_id = c.id WHERE i.original_id = '20' AND c.state = 'assess' AND i.original_state = 'Qualification'");
    assert_eq!(waiting, 1, "under way in GLPI without a window: to be assessed and planned");
    let closed = count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes c JOIN change_imports i ON i.change_id = c.id WHERE c.title = 'Lønnskjøring i Ålesund' AND c.description = 'Ændret oppsett' AND c.state = 'closed' AND i.original_id = '17' AND i.source = 'glpi' AND c.created_at = '2024-02-01 08:15:00' AND i.original_closed_at = '2024-02-03 15:00:00'");
    assert_eq!(closed, 1, "letters and dates as the file had them");
    assert_eq!(
        count(
            &db,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes WHERE state IN ('rejected', 'cancelled')"
        ),
        2
    );
}

async fn malformed_rows_are_reported_by_line_and_reason_and_nothing_of_them_is_stored(backend: Backend) {
    let db = database(&backend);
    let rows = [
        "id;title;state;planned_start;planned_end;requester;cis;type",
        "A1;God;closed;2025-01-01 10:00;2025-01-01 11:00;ola@kommune.no;;",
        "A2;Kontrolltegn \u{7};closed;;;ola@kommune.no;;",
        "A3;Dato;closed;2025-13-01 10:00;;ola@kommune.no;;",
        "A4;Sommertid;scheduled;2026-03-29 02:30;2026-03-29 04:00;ola@kommune.no;;",
        "A5;Baklengs;closed;2025-01-01 11:00;2025-01-01 10:00;ola@kommune.no;;",
        "A6;Halvt vindu;scheduled;2025-01-01 10:00;;ola@kommune.no;;",
        "A7;Ukjent CI;closed;;;ola@kommune.no;Finnes ikke;",
        "A1;Samme id;closed;;;ola@kommune.no;;",
        "A8;;closed;;;ola@kommune.no;;",
        &format!("A9;{};closed;;;ola@kommune.no;;", "x".repeat(201)),
        "A10;Rar type;closed;;;ola@kommune.no;;big",
        "A11;Skuddsekund;closed;2025-12-31 23:59:60;;ola@kommune.no;;",
        ";Uten id;closed;;;ola@kommune.no;;",
        "A12;For langt;closed;2025-01-01 10:00;2025-03-01 10:00;ola@kommune.no;;",
        "A13;Gammel;closed;1999-12-31 10:00;1999-12-31 11:00;ola@kommune.no;;",
        "A14;Uten vindu;scheduled;;;ola@kommune.no;;",
    ];
    let path = file("malformed", rows.join("\n").as_bytes());
    let run = endring(&db, &["import", "changes", path.to_str().unwrap(), "--format", "endring"]);
    assert_eq!(run.code, 2, "{}", run.err);
    assert!(run.out.contains("Imported 2 changes of 16 rows"), "{}", run.out);
    assert!(
        run.out.contains("1 of them were scheduled or under way without a planned window"),
        "{}",
        run.out
    );
    let expected = [
        (3, "title holds a control character"),
        (4, "planned_start `2025-13-01 10:00` is not a date and time"),
        (5, "does not exist in Europe/Oslo"),
        (6, "the planned window: must be after planned_start"),
        (7, "a planned window needs both its start and its end"),
        (8, "unknown CI `Finnes ikke`"),
        (9, "the same id is on an earlier line"),
        (10, "title is empty"),
        (11, "title is longer than 200 characters"),
        (12, "unknown change type `big`"),
        (13, "planned_start `2025-12-31 23:59:60` is not a date and time"),
        (14, "id is empty"),
        (15, "a planned window is at most 31 days"),
        (16, "must be a time between the years 2000 and 2199"),
    ];
    for (line, reason) in expected {
        let found = run
            .out
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("line {line}")) && l.contains(reason));
        assert!(found, "line {line}: {reason}\n{}", run.out);
    }
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes"), 2, "only the good rows");
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM change_imports"), 2);

    // --report writes every rejected row as CSV.
    let report = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    endring(&db, &["import", "changes", path.to_str().unwrap(), "--report", report.to_str().unwrap()]);
    let written = std::fs::read_to_string(&report).unwrap();
    assert_eq!(written.lines().count(), 1 + 14, "{written}");
    assert!(written.starts_with("line,id,reason\n3,A2,"), "{written}");
}

async fn a_dry_run_writes_nothing_and_a_file_without_the_needed_columns_is_refused(backend: Backend) {
    let db = database(&backend);
    let cis = file("dry-cis", ITOP_CIS);
    let events = count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events");
    let run = endring(&db, &["import", "cis", cis.to_str().unwrap(), "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(run.out.starts_with("Would import 2 CIs of 2 rows"), "{}", run.out);
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cis"), 0);
    assert_eq!(
        count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events"),
        events,
        "not even the import's event"
    );

    // UTF-16 without a byte order mark reads as nothing Endring knows: refused, naming
    // what it needs. (With the mark it is read as UTF-16.)
    let utf16: Vec<u8> =
        "id,title,state\n1,x,closed\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let wrong = file("utf16", &utf16);
    let run = endring(&db, &["import", "changes", wrong.to_str().unwrap(), "--format", "endring"]);
    assert_eq!(run.code, 1, "{}", run.out);
    assert!(run.err.contains("has no column for id (one of: id, ref"), "{}", run.err);
    let unknown = file("unknown", b"foo,bar\n1,2\n");
    let run = endring(&db, &["import", "changes", unknown.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.err.contains("--format endring|itop|glpi"), "{}", run.err);
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes"), 0);
}

/// `rows` changes in Endring's columns, each closed with its window, one named `title`
/// at `odd_one`.
fn many(rows: usize, odd_one: Option<(usize, &str)>) -> Vec<u8> {
    let mut text = String::from("id;title;state;planned_start;planned_end;requester;description\n");
    for i in 1..=rows {
        let title = match odd_one {
            Some((at, title)) if at == i => title.to_owned(),
            _ => format!("Endring {i}: oppgradering av system {}", i % 97),
        };
        let day = 1 + i % 28;
        text.push_str(&format!(
            "X-{i};{title};closed;2024-05-{day:02} 18:00;2024-05-{day:02} 20:00;ola@kommune.no;\"Beskrivelse {i};\nmed semikolon\"\n"
        ));
    }
    text.into_bytes()
}

async fn an_import_that_stops_says_where_and_continues_when_run_again(backend: Backend) {
    let db = database(&backend);
    // The database refuses one row of the third batch, as a full disk or a lost
    // connection would stop an import half-way.
    match backend {
        Backend::Sqlite => db.execute(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON changes WHEN NEW.title = 'BOOM' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ),
        Backend::Postgres { .. } => {
            db.execute("CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN IF NEW.title = 'BOOM' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
            db.execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON changes FOR EACH ROW EXECUTE FUNCTION refuse_boom()")
        }
    };
    let path = file("stops", &many(1200, Some((1100, "BOOM"))));
    let run = endring(&db, &["import", "changes", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.out);
    // Two rows a line each: row 1001 starts on line 2002.
    assert!(run.err.contains("stopped at the batch starting on line 2002"), "{}", run.err);
    assert!(run.err.contains("run the same command again to continue"), "{}", run.err);
    assert!(
        run.out.contains("Imported 1000 changes of 1200 rows"),
        "the report of what was done: {}",
        run.out
    );
    assert_eq!(
        count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes"),
        1000,
        "the first two batches, whole"
    );
    assert_eq!(
        count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'import'"),
        1000
    );
    match backend {
        Backend::Sqlite => db.execute("DROP TRIGGER refuse_boom"),
        Backend::Postgres { .. } => db.execute("DROP TRIGGER refuse_boom ON changes"),
    };
    let run = endring(&db, &["import", "changes", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{} {}", run.out, run.err);
    assert!(
        run.out.contains("Imported 200 changes of 1200 rows") && run.out.contains("1000 imported before"),
        "{}",
        run.out
    );
    assert_eq!(count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes"), 1200);
    assert_eq!(endring(&db, &["audit", "verify"]).code, 0);
}

async fn fifty_thousand_rows_import_in_batches_with_the_chain_intact(backend: Backend) {
    let db = database(&backend);
    let path = file("fifty-thousand", &many(50_000, None));
    let started = std::time::Instant::now();
    let run = endring(&db, &["import", "changes", path.to_str().unwrap()]);
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{} {}", run.out, run.err);
    assert!(run.out.contains("Imported 50000 changes of 50000 rows"), "{}", run.out);
    // Not a terminal: progress as plain lines, a tenth of the file at a time.
    assert_eq!(run.err.lines().filter(|l| l.ends_with("rows read")).count(), 10, "{}", run.err);
    eprintln!("imported 50,000 changes in {took:?} (debug build)");
    assert_eq!(
        count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM changes WHERE state = 'closed'"),
        50_000
    );
    assert_eq!(
        count(&db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events WHERE action = 'import'"),
        50_000
    );
    let verify = endring(&db, &["audit", "verify"]);
    assert!(verify.out.contains("50002 audit events, chain intact"), "{}", verify.out);
}

async fn an_imported_change_shows_where_it_came_from_on_its_page_and_in_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let export = "Ref;Title;Status;Start date;End date;Caller->Full name;close_date\n\
C-000777;Flytte e-post;closed;2024-06-01 18:00;2024-06-01 22:00;Gammel Ansatt;2024-06-03 09:00\n";
    let path = file("shown", export.as_bytes());
    let run =
        endring(&app.db, &["import", "changes", path.to_str().unwrap(), "--requester", &app.admin.email]);
    assert_eq!(run.code, 0, "{} {}", run.out, run.err);
    let listed = app.get("/api/v1/changes?q=Flytte", &app.admin).await;
    let reference = listed["items"][0]["ref"].as_str().expect("the imported change is listed").to_owned();
    let change = app.get(&format!("/api/v1/changes/{reference}"), &app.admin).await;
    assert_eq!(change["state"], "closed");
    let imported = &change["imported"];
    assert_eq!(
        (imported["source"].as_str(), imported["original_id"].as_str()),
        (Some("itop"), Some("C-000777")),
        "{change}"
    );
    assert_eq!(imported["original_requester"], "Gammel Ansatt");
    assert_eq!(imported["original_closed_at"], "2024-06-03T07:00:00Z");
    let browser = crate::pages::sign_in(&app, &app.admin).await;
    let (_, html) = crate::pages::page(&browser, &app, &format!("/changes/{reference}")).await;
    assert!(html.contains("iTop C-000777"), "the page names where it came from");
    assert!(html.contains("Gammel Ansatt"));
    let events = app.event_actions(&change).await;
    assert_eq!(events, ["import"], "its trail starts with the import");
}

/// A list counts the matches as far as 1,000 past its page (`COUNT_AHEAD`) and says
/// "more than" beyond, in the API and on the page, with a way to the next page; a filter
/// matching fewer is counted exactly, and a deleted draft is in no count.
async fn a_list_counts_a_thousand_past_its_page_and_says_more_beyond(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // "Upgrade the archive system", older than every imported "… av system …".
    let early = app.new_change().in_state(ChangeState::Draft).await;
    let path = file("counted", &many(1203, Some((7, "Sjeldent ord"))));
    let run =
        endring(&app.db, &["import", "changes", path.to_str().unwrap(), "--requester", &app.admin.email]);
    assert_eq!(run.code, 0, "{} {}", run.out, run.err);
    // A draft deleted: counted by the index, then taken off.
    let draft = app.new_change().in_state(ChangeState::Draft).await;
    let path = format!("/api/v1/changes/{}", draft.change["id"]);
    let (status, body) = app.call(reqwest::Method::DELETE, &path, Some(&draft.requester), None).await;
    assert!(status.is_success(), "{status} {body}");

    let first = app.get("/api/v1/changes?limit=50", &app.admin).await;
    assert_eq!(
        (first["total"].as_i64(), first["total_capped"].as_bool()),
        (Some(1000), Some(true)),
        "{}",
        first["total"]
    );
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    // Far enough on, the rest is counted exactly: 1,203 imported and the early draft, the
    // other draft deleted.
    let last = app.get("/api/v1/changes?limit=50&offset=1200", &app.admin).await;
    assert_eq!((last["total"].as_i64(), last["total_capped"].as_bool()), (Some(1204), Some(false)));
    assert_eq!(last["items"].as_array().unwrap().len(), 4);
    // The word matches every imported change but the seventh, counted exactly from far on.
    let searched = app.get("/api/v1/changes?q=oppgradering&limit=10&offset=300", &app.admin).await;
    assert_eq!((searched["total"].as_i64(), searched["total_capped"].as_bool()), (Some(1202), Some(false)));
    // Read from the newest (or oldest) matches first, the same changes as the list: the
    // word's newest three are the list's, its oldest seven the list's first eight but one.
    let refs = |page: &serde_json::Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap().to_owned()).collect()
    };
    let newest = app.get("/api/v1/changes?q=oppgradering&limit=3", &app.admin).await;
    assert_eq!(refs(&newest), refs(&app.get("/api/v1/changes?limit=3", &app.admin).await));
    assert_eq!((newest["total"].as_i64(), newest["total_capped"].as_bool()), (Some(1000), Some(true)));
    // Both drafts are "Upgrade the archive system": the deleted one, the newest match, is
    // in neither the page nor the count.
    let archive = app.get("/api/v1/changes?q=archive&limit=1", &app.admin).await;
    assert_eq!(refs(&archive), [early.change["ref"].as_str().unwrap()], "{archive}");
    assert_eq!((archive["total"].as_i64(), archive["total_capped"].as_bool()), (Some(1), Some(false)));
    let oldest = app.get("/api/v1/changes?q=oppgradering&sort=oldest&limit=7", &app.admin).await;
    let mut first = refs(&app.get("/api/v1/changes?sort=oldest&limit=9", &app.admin).await);
    first.remove(7);
    first.remove(0);
    assert_eq!(refs(&oldest), first, "neither the early draft in English nor the seventh imported");
    // Its newest matches hold none of this requester's: every match is read then.
    let path = format!("/api/v1/changes?q=system&requester={}", early.requester.id);
    let theirs = app.get(&path, &app.admin).await;
    assert_eq!(refs(&theirs), [early.change["ref"].as_str().unwrap()], "{theirs}");
    assert_eq!((theirs["total"].as_i64(), theirs["total_capped"].as_bool()), (Some(1), Some(false)));
    let rare = app.get("/api/v1/changes?q=sjeldent", &app.admin).await;
    assert_eq!((rare["total"].as_i64(), rare["total_capped"].as_bool()), (Some(1), Some(false)));

    let browser = crate::pages::sign_in(&app, &app.admin).await;
    let (_, html) = crate::pages::page(&browser, &app, "/changes").await;
    let status = html.split("role=\"status\">").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default();
    assert!(html.contains("Over 1000 endringer"), "the count says where it stopped: {status}");
    assert!(html.contains("Side 1 av over 20"), "and the pages likewise");
    assert!(html.contains("rel=\"next\""), "with the way on");
    // A page on, the count still stopped: the same words.
    let (_, html) = crate::pages::page(&browser, &app, "/changes?page=2").await;
    assert!(
        html.contains("Over 1000 endringer") && html.contains("Side 2 av over 20"),
        "the same words a page on"
    );
    let (_, html) = crate::pages::page(&browser, &app, "/changes?page=25").await;
    assert!(html.contains("1204 endringer") && html.contains("Side 25 av 25"), "exact near the end");
    assert!(!html.contains("rel=\"next\""), "and no page after the last");
}
