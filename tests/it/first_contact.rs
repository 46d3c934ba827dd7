//! What a newcomer and a district officer meet in the first hour (issue 18):
//! the sample rolls commit in the demo and with the example program, dry runs
//! answer by their exit status, a header without rows is refused as a file,
//! and the binary's messages say what to do.

use crate::support::harness::Suite;
use crate::support::{province, TestDb};
use ansinh::cli::demo::{self};
use ansinh::demo::Scale;
use ansinh::domain::User;
use ansinh::import::parse::RollKind;
use ansinh::import::pipeline::{self, RollUpload};
use ansinh::import::report::ImportStatus;
use ansinh::store::Store;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn register(suite: &mut Suite) {
    register!(suite;
        sqlite: every_sample_roll_commits_in_the_demo,
        each_backend: every_sample_roll_commits_with_the_example_program,
        test: a_dry_run_exits_1_when_the_commit_would_be_refused,
        test: a_header_without_rows_is_refused_and_nothing_is_stored,
        each_backend: exports_are_in_date_order,
        test: after_the_demo_the_binary_says_what_to_do,
        test: a_busy_address_is_named_with_the_way_out,
        test: logs_are_json_off_a_terminal_and_text_when_asked,
        sqlite: the_report_says_whose_row_and_which_spreadsheet_row,
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_ansinh");

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("imports/samples")
}

/// Every sample roll, approvals first (in file name order), then payments.
fn sample_rolls() -> Vec<(RollKind, String, PathBuf)> {
    let mut rolls: Vec<(RollKind, String, PathBuf)> = std::fs::read_dir(samples())
        .expect("imports/samples")
        .map(|entry| entry.expect("entry").path())
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_string();
            let (kind, district) = name.split_once('-')?;
            let kind = match kind {
                "approvals" => RollKind::Approvals,
                "payments" => RollKind::Payments,
                _ => return None,
            };
            Some((kind, district.to_string(), path))
        })
        .collect();
    rolls.sort_by_key(|(kind, _, path)| (*kind == RollKind::Payments, path.clone()));
    rolls
}

async fn user(store: &dyn Store, username: &str) -> User {
    store
        .find_user(username)
        .await
        .expect("find user")
        .expect("the user exists")
        .0
}

/// Commits every sample roll as its district's officer, checking that each
/// one posts every row.
async fn commit_every_sample(store: &dyn Store) {
    let rolls = sample_rolls();
    assert_eq!(rolls.len(), 10, "nine approval rolls and a payment roll");
    for (kind, district, path) in rolls {
        let officer = user(store, &format!("huyen{district}")).await;
        let upload = RollUpload {
            kind,
            program: "NQ68".into(),
            district: district.clone(),
            file_name: path.file_name().unwrap().to_string_lossy().into_owned(),
            bytes: std::fs::read(&path).expect("sample"),
            sheet: None,
            expect_rows: None,
            expect_total: None,
        };
        let staged = pipeline::stage(store, &officer, &upload)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let report = pipeline::commit(store, &officer, staged)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(report.status, ImportStatus::Committed);
        assert_eq!(
            report.rows_rejected,
            0,
            "{}: {}",
            path.display(),
            report.to_text()
        );
        assert!(report.rows_accepted > 0);
    }
}

async fn every_sample_roll_commits_in_the_demo(db: TestDb) {
    demo::build(&db.store, Scale::Small, demo::Generation::InProcess)
        .await
        .expect("build the small demo");
    commit_every_sample(db.store.as_ref()).await;
}

async fn every_sample_roll_commits_with_the_example_program(db: TestDb) {
    province::setup(&db).await;
    for district in ["845", "846", "847", "848", "849", "850", "851"] {
        province::add_officer(&db, district).await;
    }
    commit_every_sample(db.store.as_ref()).await;
}

fn ansinh(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .args(args)
        .env_remove("ANSINH_DATABASE_URL")
        .env_remove("ANSINH_USER")
        .env_remove("ANSINH_PASSWORD")
        .env_remove("RUST_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run ansinh")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const OFFICER: [(&str, &str); 2] = [
    ("ANSINH_USER", "huyen842"),
    ("ANSINH_PASSWORD", "district password"),
];

/// A command's arguments and environment.
type Step<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

/// A database with an admin, the example program and huyen842, made with the binary.
fn province_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let steps: [Step; 4] = [
        (
            &["user", "add", "--username", "admin", "--role", "admin"],
            &[("ANSINH_PASSWORD", "admin password")],
        ),
        (
            &["user", "add", "--username", "tinh", "--role", "provincial"],
            &[
                ("ANSINH_USER", "admin"),
                ("ANSINH_PASSWORD", "admin password"),
                ("ANSINH_NEW_PASSWORD", "provincial password"),
            ],
        ),
        (
            &[
                "user",
                "add",
                "--username",
                "huyen842",
                "--role",
                "district",
                "--district",
                "842",
            ],
            &[
                ("ANSINH_USER", "admin"),
                ("ANSINH_PASSWORD", "admin password"),
                ("ANSINH_NEW_PASSWORD", "district password"),
            ],
        ),
        (
            &[
                "program",
                "add",
                "--file",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/imports/programs/nq68-example.toml"
                ),
            ],
            &[
                ("ANSINH_USER", "tinh"),
                ("ANSINH_PASSWORD", "provincial password"),
            ],
        ),
    ];
    for (args, env) in steps {
        let out = ansinh(dir.path(), args, env);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    dir
}

fn import_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "import",
        "approvals",
        "--program",
        "NQ68",
        "--district",
        "842",
    ];
    args.extend_from_slice(extra);
    args.push(file);
    args
}

fn a_dry_run_exits_1_when_the_commit_would_be_refused() {
    let dir = province_dir();
    let sample = samples().join("approvals-842.csv");
    let sample = sample.to_str().expect("path");
    let out = ansinh(dir.path(), &import_args(sample, &["--dry-run"]), &OFFICER);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The same roll with a control total it does not meet: the report says
    // BLOCKED, and the status says so too.
    let out = ansinh(
        dir.path(),
        &import_args(sample, &["--dry-run", "--expect-rows", "99"]),
        &OFFICER,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("BLOCKED"), "{}", text(&out));
    assert!(text(&out).contains("kiểm tra thử"), "{}", text(&out));
    // Committed, the same file again: its dry run would be refused as a repeat.
    let out = ansinh(dir.path(), &import_args(sample, &[]), &OFFICER);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ansinh(dir.path(), &import_args(sample, &["--dry-run"]), &OFFICER);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // What the district has left, and the categories' amounts: no login needed.
    let out = ansinh(
        dir.path(),
        &["program", "show", "--program", "NQ68", "--district", "842"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("tam-hoan-hdld"), "{shown}");
    assert!(shown.contains("1.855.000–3.710.000"), "{shown}");
    assert!(shown.contains("còn lại / left"), "{shown}");
    let district_line = shown
        .lines()
        .find(|l| l.trim_start().starts_with("842"))
        .expect("district 842's budget");
    let figures: Vec<&str> = district_line.split_whitespace().collect();
    assert_eq!(figures[1], "50.000.000.000", "{district_line}");
    assert_ne!(
        figures[2], "0",
        "the committed roll used some: {district_line}"
    );
    assert!(
        !shown.contains("\n  844 "),
        "only the district asked for: {shown}"
    );
    let out = ansinh(
        dir.path(),
        &import_args(sample, &["--dry-run", "--format", "json"]),
        &OFFICER,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the JSON report on stdout");
    assert_eq!(json["status"], "refused");
}

fn a_header_without_rows_is_refused_and_nothing_is_stored() {
    let dir = province_dir();
    let file = dir.path().join("header-only.csv");
    std::fs::write(
        &file,
        "\u{feff}STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\r\n",
    )
    .expect("write");
    let file = file.to_str().expect("path");
    for extra in [&["--dry-run"][..], &[]] {
        let out = ansinh(dir.path(), &import_args(file, extra), &OFFICER);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains("không có dòng đối tượng nào"),
            "{}",
            text(&out)
        );
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stored = runtime.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", dir.path().join("ansinh.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM imports")
            .fetch_one(&mut conn)
            .await
            .expect("count")
    });
    assert_eq!(stored, 0, "nothing of the file is stored");
}

/// A roll of one person approved by decision `number` on `date` (dd/mm/yyyy).
fn one_approval(id: &str, number: &str, date: &str) -> RollUpload {
    let text = format!(
        "Họ và tên;Số CCCD;Mã xã;Nhóm đối tượng;Số tiền;Số QĐ;Ngày QĐ\nLê Văn An;{id};29239;tu-do;1.500.000;{number};{date}\n"
    );
    RollUpload {
        kind: RollKind::Approvals,
        program: "NQ68".into(),
        district: "842".into(),
        file_name: format!("{number}.csv").replace('/', "-"),
        bytes: text.into_bytes(),
        sheet: None,
        expect_rows: None,
        expect_total: None,
    }
}

async fn exports_are_in_date_order(db: TestDb) {
    use ansinh::report::export::{export, Format};
    let users = province::setup(&db).await;
    let store = db.store.as_ref();
    // Journal order: allocation (15/07), 20/08, then a roll dated earlier (10/08).
    for upload in [
        one_approval("084078918650", "20/QĐ-UBND", "20/08/2021"),
        one_approval("084185360298", "10/QĐ-UBND", "10/08/2021"),
    ] {
        let staged = pipeline::stage(store, &users.officer842, &upload)
            .await
            .expect("stage");
        pipeline::commit(store, &users.officer842, staged)
            .await
            .expect("commit");
    }
    let entries = store.head().await.expect("head").expect("entries").seq as usize;
    for format in [Format::Ledger, Format::Beancount, Format::Csv] {
        let mut out = Vec::new();
        export(store, format, None, &mut out).await.expect("export");
        let text = String::from_utf8(out).expect("UTF-8");
        // An entry's first line starts with its date; in CSV, each posting's second field.
        let dates: Vec<&str> = match format {
            Format::Csv => text
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').nth(1))
                .collect(),
            _ => text
                .lines()
                .filter(|line| line.starts_with("20") && !line.contains(" open "))
                .map(|line| &line[..10])
                .collect(),
        };
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted, "{format:?}, {}:\n{text}", db.backend);
        if format != Format::Csv {
            assert_eq!(
                dates.len(),
                entries,
                "{format:?}: every entry once:\n{text}"
            );
        }
    }
}

/// Runs `args` with stdout piped, reads one line of it and closes the pipe.
fn read_one_line_then_close(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("ANSINH_DATABASE_URL")
        .env_remove("ANSINH_USER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read a line");
    assert!(!line.is_empty(), "{args:?} printed nothing");
    // The reader is dropped: the pipe is closed with most of the output unread.
    child.wait_with_output().expect("wait")
}

fn after_the_demo_the_binary_says_what_to_do() {
    let dir = tempfile::tempdir().expect("dir");
    let out = ansinh(dir.path(), &["demo", "--scale", "small", "--no-serve"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    // Again: the province is there already, and nothing is served or changed.
    let out = ansinh(dir.path(), &["demo", "--scale", "small", "--no-serve"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("nothing changed"), "{said}");
    assert!(!said.contains("serving"), "{said}");
    // The worked example's first command in the demo's directory.
    let out = ansinh(
        dir.path(),
        &["user", "add", "--username", "admin", "--role", "admin"],
        &[("ANSINH_PASSWORD", "admin password")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("already has 12 users"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("--database-url"), "{}", text(&out));
    // A reader that stops early (`| head`) is no failure, and nothing panics.
    for args in [
        &["reconcile", "--program", "NQ68"][..],
        &["export", "--format", "ledger"],
        &[
            "report",
            "--as-of",
            "2021-12-31",
            "--by",
            "district",
            "--format",
            "csv",
        ],
    ] {
        let out = read_one_line_then_close(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

fn a_busy_address_is_named_with_the_way_out() {
    let dir = tempfile::tempdir().expect("dir");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = busy.local_addr().expect("address").to_string();
    for args in [
        &["serve", "--bind", address.as_str()][..],
        &["demo", "--scale", "small", "--bind", address.as_str()],
    ] {
        let out = ansinh(dir.path(), args, &[]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&address), "{stderr}");
        assert!(stderr.contains("--bind 127.0.0.1:8081"), "{stderr}");
        assert!(stderr.contains("đang dùng"), "{stderr}");
    }
}

/// The first line `ansinh serve` logs on stderr, with `env` set.
fn first_log_line(env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let mut command = Command::new(BIN);
    command
        .current_dir(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("ANSINH_DATABASE_URL")
        .env_remove("RUST_LOG")
        .env_remove("ANSINH_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("serve");
    let mut line = String::new();
    BufReader::new(child.stderr.take().expect("stderr"))
        .read_line(&mut line)
        .expect("read");
    child.kill().ok();
    child.wait().ok();
    line
}

fn logs_are_json_off_a_terminal_and_text_when_asked() {
    // The test's pipe is not a terminal: JSON lines.
    let line = first_log_line(&[]);
    let json: serde_json::Value = serde_json::from_str(&line).expect(&line);
    assert_eq!(json["fields"]["message"], "listening", "{line}");
    let line = first_log_line(&[("ANSINH_LOG_FORMAT", "text")]);
    assert!(!line.starts_with('{'), "{line}");
    assert!(
        line.contains("INFO") && line.contains("listening"),
        "{line}"
    );
}

async fn the_report_says_whose_row_and_which_spreadsheet_row(db: TestDb) {
    let users = province::setup(&db).await;
    let text = "Họ và tên;Số CCCD;Mã xã;Địa chỉ;Nhóm đối tượng;Số tiền;Số QĐ;Ngày QĐ\n\
        Lê Văn An;084078918650;29239;\"Khóm 8,\nPhường 1\";tu-do;1.500.000;1/QĐ;01/08/2021\n\
        Trần Thị Bé;84078918651;29239;;tu-do;1.500.000;1/QĐ;01/08/2021\n\
        Kim Văn Cường;084078918652;29239;;tre-em;1.855.000;1/QĐ;01/08/2021\n\
        =Sơn Văn Dũng;084078918653;29239;;tu-do;1.500.000;1/QĐ;01/08/2021\n";
    let upload = RollUpload {
        kind: RollKind::Approvals,
        program: "NQ68".into(),
        district: "842".into(),
        file_name: "a.csv".into(),
        bytes: text.as_bytes().to_vec(),
        sheet: None,
        expect_rows: None,
        expect_total: None,
    };
    let report = pipeline::validate(db.store.as_ref(), &users.officer842, &upload)
        .await
        .expect("validate")
        .report;
    // The bad ID's row is named, at spreadsheet row 3 (file line 4).
    let bad_id = &report.rejected[0];
    assert_eq!((bad_id.line, bad_id.row), (4, Some(3)));
    assert_eq!(bad_id.full_name.as_deref(), Some("Trần Thị Bé"));
    assert_eq!(bad_id.national_id.as_deref(), Some("84078918651"));
    // A wrong amount for its category says the category's amount in Vietnamese too.
    let wrong_amount = &report.rejected[1];
    assert_eq!((wrong_amount.line, wrong_amount.row), (5, Some(4)));
    let reason = &wrong_amount.problems[0].reason_vi;
    assert!(reason.contains("mức cố định 1.000.000 đồng"), "{reason}");
    assert!(
        reason.contains("ansinh program show --program NQ68"),
        "{reason}"
    );
    // A formula-like name is accepted and warned about.
    assert_eq!(report.rows_accepted, 2);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.code.as_str() == "name_formula" && w.row == Some(5)),
        "{:?}",
        report.warnings
    );
    let printed = report.to_text();
    assert!(
        printed.contains("[invalid] Trần Thị Bé — dòng/line 3 (dòng 4 của tệp / file line 4), cột/column \"Số CCCD\""),
        "{printed}"
    );
    assert!(
        printed.contains("2 dòng, 2 hợp lệ") || printed.contains("4 dòng, 2 hợp lệ"),
        "{printed}"
    );
    // The stored report keeps the row; reports stored before it load without one.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["rejected"][0]["row"], 3);
    // Columns are counted in the file, ignored ones included, by the row rules as by the parser.
    let text = "Cột lạ;Họ và tên;Số CCCD;Mã xã;Nhóm đối tượng;Số tiền;Số QĐ;Ngày QĐ\n\
        x;Lê Văn An;084078918650;29239;tu-do;1.000.000;1/QĐ;01/08/2021\n\
        x;Lê Văn Bình;084078918651;29239;tu-do;1,5;1/QĐ;01/08/2021\n";
    let upload = RollUpload {
        bytes: text.as_bytes().to_vec(),
        ..upload
    };
    let report = pipeline::validate(db.store.as_ref(), &users.officer842, &upload)
        .await
        .expect("validate")
        .report;
    let columns: Vec<(String, Option<usize>)> = report
        .rejected
        .iter()
        .map(|r| {
            (
                r.problems[0].code.as_str().to_string(),
                r.problems[0].column_index,
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("amount_rule".to_string(), Some(6)),
            ("amount_fractional".to_string(), Some(6))
        ]
    );
}
