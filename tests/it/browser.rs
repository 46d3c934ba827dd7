//! The officers' web application in a real browser (headless Chromium over
//! chromedriver): each role's main path on SQLite, failing on any
//! JavaScript error, with a screenshot of each main screen under
//! `target/screenshots/`. Ignored, with the reason, where chromedriver is
//! not installed (`.ci/run` installs Debian's `chromium-driver`).

use crate::support::browser::Browser;
use crate::support::harness::{Needs, Suite};
use crate::support::xlsx::{xlsx, Cell};
use crate::support::{self, province, TestDb};
use ansinh::auth::password;
use ansinh::domain::Role;
use ansinh::import::pipeline;
use serde_json::json;

pub fn register(suite: &mut Suite) {
    register!(suite;
        needs(Needs::Tool("chromedriver")): each_role_works_through_its_day_in_a_real_browser,
        benchmark: screens_of_the_full_demo_show_their_first_page_quickly,
    );
}

const PASSWORD: &str = "mật khẩu đủ dài 2021";

/// An approval workbook as an officer writes it: a title, the header on
/// row 3, then people. `fixed` false damages some rows: an ID Excel turned
/// into a number (leading zero lost), a commune of another district, two
/// amounts off the category's fixed 1.500.000, and an ID typed with spaces
/// (a warning: the row is kept).
fn roll(fixed: bool) -> Vec<u8> {
    use Cell::{Number, Text};
    let header = [
        "STT",
        "Họ và tên",
        "Số CCCD/CMND",
        "Mã xã",
        "Nhóm đối tượng",
        "Số tiền",
        "Số quyết định",
        "Ngày quyết định",
    ];
    let person =
        |n: f64, name: &'static str, id: Cell<'static>, commune: &'static str, amount: f64| {
            vec![
                Some(Number(n)),
                Some(Text(name)),
                Some(id),
                Some(Text(commune)),
                Some(Text("tu-do")),
                Some(Number(amount)),
                Some(Text("2315/QĐ-UBND")),
                Some(Text("16/08/2021")),
            ]
        };
    let (kim_id, tam_commune, amount) = if fixed {
        (Text("084069106889"), "29239", 1_500_000.0)
    } else {
        (Number(84_069_106_889.0), "29500", 2_000_000.0)
    };
    let linh_id = if fixed {
        "084185360298"
    } else {
        "084 185 360 298"
    };
    xlsx(&[
        vec![Some(Text(
            "DANH SÁCH ĐỐI TƯỢNG ĐƯỢC HỖ TRỢ — HUYỆN CÀNG LONG",
        ))],
        vec![],
        header.iter().map(|h| Some(Text(h))).collect(),
        person(
            1.0,
            "Thạch Sa Rây",
            Text("084078918650"),
            "29239",
            1_500_000.0,
        ),
        person(2.0, "Kim Ngọc Hên", kim_id, "29239", 1_500_000.0),
        person(
            3.0,
            "Nguyễn Thị Mỹ Linh",
            Text(linh_id),
            "29239",
            1_500_000.0,
        ),
        person(
            4.0,
            "Lê Văn Tám",
            Text("084099999999"),
            tam_commune,
            1_500_000.0,
        ),
        person(5.0, "Trần Thị Bé", Text("084301234567"), "29239", amount),
        person(6.0, "Sơn Thị Hồng", Text("084166123456"), "29239", amount),
    ])
}

/// One user per role with [`PASSWORD`], the example program; the app's URL.
async fn province_served(db: &TestDb) -> String {
    let hash = password::hash(PASSWORD).expect("hash");
    for (name, role, district) in [
        ("admin", Role::Admin, None),
        ("tinh", Role::Provincial, None),
        ("huyen842", Role::District, Some("842")),
        ("kiemtoan", Role::Auditor, None),
        ("bo", Role::National, None),
    ] {
        support::add_user(db, name, role, district, &hash).await;
    }
    ansinh::programs::add(db.store.as_ref(), "tinh", province::EXAMPLE_PROGRAM)
        .await
        .expect("program");
    support::start_app(db).await
}

async fn each_role_works_through_its_day_in_a_real_browser() {
    let db = TestDb::sqlite().await;
    let base = province_served(&db).await;
    let folder = tempfile::tempdir().expect("temp dir");
    let with_errors = folder.path().join("danh-sach-loi.xlsx");
    let fixed = folder.path().join("danh-sach.xlsx");
    std::fs::write(&with_errors, roll(false)).expect("write");
    std::fs::write(&fixed, roll(true)).expect("write");

    let browser = Browser::start(&base).await;
    browser.open("/").await;
    languages(&browser).await;
    browser.screenshot("01-login").await;

    district_officer(&browser, &with_errors, &fixed).await;
    provincial_office(&browser).await;
    auditor(&browser).await;
    administrator(&browser).await;
    national_reader(&browser, &db).await;
    browser.client.clone().close().await.expect("close");
}

/// Vietnamese first; English by the switch, remembered across a reload.
async fn languages(browser: &Browser) {
    browser.wait_text("#login h1", "Đăng nhập").await;
    browser.click("#lang").await;
    browser.wait_text("#login h1", "Log in").await;
    browser.client.refresh().await.expect("reload");
    browser.wait_text("#login h1", "Log in").await;
    browser.click("#lang").await;
    browser.wait_text("#login h1", "Đăng nhập").await;
    browser.no_errors("language switch").await;
}

async fn district_officer(
    browser: &Browser,
    with_errors: &std::path::Path,
    fixed: &std::path::Path,
) {
    browser.log_in("huyen842", PASSWORD).await;
    browser.wait_text("#nav", "Nhập danh sách").await;
    let nav = browser.text("#nav").await.unwrap_or_default();
    assert!(
        !nav.contains("Người dùng") && !nav.contains("Sổ nhật ký"),
        "{nav}"
    );

    // The roll with errors: errors grouped by reason with counts, warnings apart.
    upload(browser, with_errors).await;
    let groups = browser.wait_text(".error-groups", "amount_rule").await;
    assert!(groups.contains("Số tiền sai mức của nhóm"), "{groups}");
    let amount_group = groups
        .lines()
        .find(|l| l.contains("amount_rule"))
        .unwrap_or_default();
    assert!(
        amount_group.trim_end().ends_with('2'),
        "two rows: {amount_group}"
    );
    assert!(groups.contains("national_id_leading_zero"), "{groups}");
    assert!(
        groups.contains("commune_outside_district") || groups.contains("commune_code"),
        "{groups}"
    );
    let warnings = browser
        .wait_text("#report-warnings", "084 185 360 298")
        .await;
    assert!(warnings.contains("national_id_spaces"), "{warnings}");
    // Every row under its reason (groups past the first are folded).
    let rows = browser
        .run(
            "return document.querySelector('#report-errors').textContent;",
            vec![],
        )
        .await;
    let rows = rows.as_str().unwrap_or_default();
    assert!(
        rows.contains("Lê Văn Tám") && rows.contains("29500"),
        "line, name, value: {rows}"
    );
    annotated_file_marks_the_errors(browser).await;
    browser.scroll_to("#report-errors-title").await;
    browser.screenshot("02-district-import-errors").await;

    // The fixed roll: validated, committed, the entry's number shown.
    upload(browser, fixed).await;
    browser
        .wait_text("#import-report .notice", "có thể ghi sổ")
        .await;
    browser.wait_text("#report-entries", "2315/QĐ-UBND").await;
    browser.click("#commit-button").await;
    let committed = browser
        .wait_text("#report-actions", "Đã ghi sổ: bút toán số")
        .await;
    let seq = browser.text(".entry-seq").await.unwrap_or_default();
    assert!(
        seq.parse::<i64>().is_ok_and(|s| s > 1),
        "{committed} / {seq}"
    );
    browser.screenshot("03-district-committed").await;

    // The same file again: "already imported", first and alone.
    upload(browser, fixed).await;
    browser
        .wait_text("#import-report .notice.bad", "đã được nhập")
        .await;
    let alone = browser
        .run(
            "return document.querySelector('#report-errors') === null;",
            vec![],
        )
        .await;
    assert_eq!(alone, json!(true), "nothing but the notice");

    // Reconciliation: search by name.
    browser.click("#nav a[href='#reconcile']").await;
    browser.wait_text("#rec-lines", "Thạch Sa Rây").await;
    browser
        .type_into("#rec-form input[name=q]", "Mỹ Linh\u{E007}")
        .await;
    let found = browser.wait_text("#rec-lines", "Nguyễn Thị Mỹ Linh").await;
    assert!(found.contains("1.500.000"), "{found}");
    browser.screenshot("04-district-reconciliation").await;

    // History of imports, newest page first, with statuses.
    browser.click("#nav a[href='#imports']").await;
    browser.wait_text("#imports-list", "đã ghi sổ").await;

    // A reload keeps the session (the cookie, and whoami's CSRF token for writes).
    browser.client.refresh().await.expect("reload");
    browser.wait_text("#whoami", "huyen842").await;
    browser.wait_text("#imports-list", "danh-sach.xlsx").await;
    browser.no_errors("district officer").await;
    browser.log_out().await;
}

async fn upload(browser: &Browser, file: &std::path::Path) {
    browser.click("#nav a[href='#upload']").await;
    let input = browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("#upload-form input[type=file]"))
        .await
        .expect("file field");
    input
        .send_keys(&file.to_string_lossy())
        .await
        .expect("choose file");
    browser.click("#upload-form button[type=submit]").await;
    browser.wait_text("#import-report h2", "").await;
    browser.no_errors("upload").await;
}

async fn provincial_office(browser: &Browser) {
    browser.log_in("tinh", PASSWORD).await;
    let footnote = browser
        .wait_text("#footnote-text", "Đến ngày 25/11/2021")
        .await;
    let as_of = browser
        .run(
            "return document.querySelector('#dash-form input').value;",
            vec![],
        )
        .await;
    assert_eq!(as_of, json!("25/11/2021"), "dates written dd/mm/yyyy");
    assert!(footnote.contains("đối tượng"), "{footnote}");
    let font = browser
        .client
        .find(fantoccini::Locator::Css("#footnote-text"))
        .await
        .expect("footnote")
        .css_value("font-family")
        .await
        .expect("font");
    assert!(
        !font.to_lowercase().contains("mono"),
        "a sans-serif footnote: {font}"
    );
    browser.wait_text("#footnote-checkpoint", ":").await;
    browser.wait_text("#dash-time figcaption", "lũy kế").await;
    let charts = browser
        .run(
            "return document.querySelectorAll('#main svg').length;",
            vec![],
        )
        .await;
    assert_eq!(charts, json!(4), "three bar charts and the line over time");
    browser.click("#copy-footnote").await;
    browser.wait_text("#copy-status", "").await;
    browser.screenshot("05-province-dashboard").await;
    browser.scroll_to("#dash-charts").await;
    browser.screenshot("05b-province-charts").await;

    // Drill-down: province → district 842 → program NQ68 → a person.
    browser.click("#nav a[href='#drill']").await;
    browser.wait_text("#drill-out", "842").await;
    browser.click("#drill-out tr[data-i]").await;
    browser.wait_text("#crumbs", "huyện 842").await;
    browser.click("#drill-out tr[data-i]").await;
    browser.wait_text("#scope-out", "Thạch Sa Rây").await;
    browser.screenshot("06-province-drill-down").await;
    let person = "//div[@id='scope-out']//tr[contains(., 'Thạch Sa Rây')]";
    browser
        .client
        .find(fantoccini::Locator::XPath(person))
        .await
        .expect("person")
        .click()
        .await
        .expect("open the person");
    browser.wait_text("#drill-out h2", "084078918650").await;
    browser.wait_text("#crumbs", "Thạch Sa Rây").await;

    browser.click("#nav a[href='#programs']").await;
    browser.wait_text("#screen", "Dự toán").await;

    // A reversal of one person's approval, the entry in view as it is written.
    browser.click("#nav a[href='#reversals']").await;
    browser
        .type_into("#rev-find input[name=seq]", "2\u{E007}")
        .await;
    browser.wait_text("#rev-view", "2315/QĐ-UBND").await;
    browser
        .type_into(
            "#rev-form input[name=reason]",
            "Không cư trú tại địa phương",
        )
        .await;
    browser
        .type_into("#rev-form input[name=beneficiary]", "084069106889\u{E007}")
        .await;
    browser
        .wait_text("#rev-result", "Đã ghi bút toán đảo số 3")
        .await;
    browser.screenshot("07-province-reversal").await;
    browser.no_errors("provincial office").await;
    browser.log_out().await;
}

async fn auditor(browser: &Browser) {
    browser.log_in("kiemtoan", PASSWORD).await;
    browser.click("#nav a[href='#journal']").await;
    browser.wait_text("#journal-list", "2315/QĐ-UBND").await;
    // The approval entry, opened from the keyboard (its row takes the
    // focus, Enter opens it): its postings paged, with their total.
    let row = "//div[@id='journal-list']//tr[contains(., '2315/QĐ-UBND')]";
    // The list may render again between the wait and the find: ask again.
    let mut attempts = 0;
    loop {
        let found = browser.client.find(fantoccini::Locator::XPath(row)).await;
        let pressed = match found {
            Ok(element) => element.send_keys("\u{E007}").await,
            Err(error) => Err(error),
        };
        attempts += 1;
        match pressed {
            Ok(()) => break,
            Err(error) if attempts >= 50 => panic!("Enter on the approval entry: {error:?}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let notice = browser.wait_text("#postings-total", "dòng hạch toán").await;
    assert!(notice.contains('7'), "six people and the budget: {notice}");
    browser
        .click("[id^=entry-postings] .pager button:last-of-type")
        .await;
    browser
        .wait_text("[id^=entry-postings]", "budget:NQ68:842")
        .await;
    browser.scroll_to("#postings-total").await;
    browser.screenshot("08-auditor-journal").await;

    browser.click("#nav a[href='#verify']").await;
    browser.click("#verify-form button[type=submit]").await;
    let verified = browser.wait_text("#verify-result", "đều đúng").await;
    assert!(verified.contains("1 lần nhập"), "{verified}");
    browser.screenshot("09-auditor-verify").await;

    browser.click("#nav a[href='#audit']").await;
    browser.wait_text("#audit-list", "journal.reverse").await;
    browser.click("#nav a[href='#files']").await;
    browser.wait_text("#files-list", "danh-sach-loi.xlsx").await;
    browser.no_errors("auditor").await;
    browser.log_out().await;
}

async fn administrator(browser: &Browser) {
    browser.log_in("admin", PASSWORD).await;
    let nav = browser.wait_text("#nav", "Người dùng").await;
    assert_eq!(nav.trim(), "Người dùng", "users and nothing else");
    browser
        .type_into("#user-add input[name=username]", "huyen844")
        .await;
    browser
        .client
        .find(fantoccini::Locator::Css("#user-add select[name=role]"))
        .await
        .expect("role")
        .select_by_value("district")
        .await
        .expect("district role");
    browser
        .type_into("#user-add input[name=district]", "844")
        .await;
    browser
        .type_into("#user-add input[name=password]", "mật khẩu mới 844\u{E007}")
        .await;
    browser
        .wait_text("#user-add-result", "Đã thêm người dùng huyen844")
        .await;
    browser.wait_text("#users-list", "huyen844").await;
    browser
        .click("#users-list button[data-reset='huyen844']")
        .await;
    browser
        .type_into("#user-action-form input", "mật khẩu khác 844\u{E007}")
        .await;
    browser
        .wait_text("#user-action", "Đã đặt lại mật khẩu của huyen844")
        .await;
    browser
        .click("#users-list button[data-disable='huyen844']")
        .await;
    browser
        .type_into("#user-action-form input", "Chuyển công tác\u{E007}")
        .await;
    browser.wait_text("#user-action", "Đã khóa huyen844").await;
    browser.wait_text("#users-list", "đã khóa").await;
    browser.screenshot("10-admin-users").await;
    // English by the switch, with the session kept.
    browser.click("#lang").await;
    browser.wait_text("#nav", "Users").await;
    browser.wait_text("#users-list", "disabled").await;
    browser.screenshot("11-admin-users-english").await;
    browser.click("#lang").await;
    browser.wait_text("#nav", "Người dùng").await;
    browser.no_errors("administrator").await;
    browser.log_out().await;
}

/// A ministry's national reader, on the server of the database's own
/// ledger, sees Trà Vinh's ledger (beside it in the database) in the
/// national table, at its checkpoint, and nothing else.
async fn national_reader(browser: &Browser, db: &TestDb) {
    let tra_vinh = db.ledger("84").await;
    let users = province::setup(&tra_vinh).await;
    let roll = crate::payments_reconcile::race_roll(0);
    let store = tra_vinh.store.as_ref();
    let staged = pipeline::stage(store, &users.officer842, &roll)
        .await
        .expect("stage");
    pipeline::commit(store, &users.officer842, staged)
        .await
        .expect("commit");
    let head = store.head().await.expect("head").expect("an entry");
    browser.log_in("bo", PASSWORD).await;
    let nav = browser.wait_text("#nav", "Báo cáo toàn quốc").await;
    assert_eq!(nav.trim(), "Báo cáo toàn quốc", "the national report alone");
    let table = browser
        .wait_text("#national-out table", "Tỉnh Trà Vinh")
        .await;
    // race_roll(0): 300 people at 1.500.000 đồng.
    assert!(table.contains("450.000.000"), "{table}");
    let checkpoint = format!("{}:{}", head.seq, &head.hash[..16]);
    assert!(table.contains(&checkpoint), "{checkpoint} in {table}");
    browser.screenshot("12-national-report").await;
    browser.no_errors("national reader").await;
    browser.log_out().await;
}

/// How long the main screens take to show their first page on a ledger
/// served elsewhere (the full demo: `ansinh demo`, 292,983 approvals), in a
/// real browser. A benchmark, run by hand:
/// `ANSINH_WEB_URL=http://127.0.0.1:8080 cargo test --test it -- --ignored browser::`
/// (the demo's logins). Prints milliseconds per step.
fn screens_of_the_full_demo_show_their_first_page_quickly() {
    let Ok(base) = std::env::var("ANSINH_WEB_URL") else {
        println!("set ANSINH_WEB_URL to a served demo");
        return;
    };
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(timed_screens(base));
}

async fn timed_screens(base: String) {
    use std::time::Instant;
    let browser = Browser::start(&base).await;
    browser.open("/").await;
    let step = |name: &str, started: Instant| {
        println!("{name}: {} ms", started.elapsed().as_millis());
    };

    browser.log_in("huyen842", "demo-huyen842-2021").await;
    browser.click("#nav a[href='#reconcile']").await;
    browser.wait_text("#rec-lines .pager", "trên tổng số").await;
    browser
        .client
        .find(fantoccini::Locator::Css("#rec-form select[name=program]"))
        .await
        .expect("program")
        .select_by_value("NQ68")
        .await
        .expect("NQ68");
    let started = Instant::now();
    browser.click("#rec-form button[type=submit]").await;
    browser.wait_text("#rec-totals", "Đối tượng").await;
    let shown = browser
        .wait_text("#rec-lines .pager .where", "trên tổng số")
        .await;
    step("district reconciliation NQ68, first page of 50", started);
    println!("  {shown}");
    // The last page ends with the last line: "Dòng 24.551–24.583 trên tổng số 24.583".
    let total = shown.rsplit(' ').next().unwrap_or_default();
    let last_page = format!("–{total} ");
    let started = Instant::now();
    browser.click("#rec-lines .pager button:last-of-type").await;
    browser
        .wait_text("#rec-lines .pager .where", &last_page)
        .await;
    step("  its last page", started);
    let started = Instant::now();
    browser
        .type_into("#rec-form input[name=q]", "Thạch\u{E007}")
        .await;
    browser
        .wait_text("#rec-lines .pager .where", "Dòng 1–")
        .await;
    step("  searched by name", started);
    browser.log_out().await;

    browser.log_in("kiemtoan", "demo-kiemtoan-2021").await;
    let largest = browser
        .run(
            "return fetch('/api/v1/journal?kind=approval&limit=1000').then(r => r.json()).then(l => \
             l.items.reduce((a, b) => (b.postings_count > a.postings_count ? b : a)).seq);",
            vec![],
        )
        .await;
    let started = Instant::now();
    browser.open(&format!("/#journal/{largest}")).await;
    let notice = browser.wait_text("#postings-total", "dòng hạch toán").await;
    step(
        &format!("journal entry {largest}, first page of postings"),
        started,
    );
    println!("  {notice}");
    let started = Instant::now();
    browser
        .click("[id^=entry-postings] .pager button:last-of-type")
        .await;
    browser.wait_text("[id^=entry-postings]", "budget:").await;
    step("  its last page (the balancing posting)", started);
    browser.log_out().await;

    browser.log_in("tinh", "demo-tinh-2021").await;
    let started = Instant::now();
    browser.wait_text("#footnote-text", "292.983").await;
    step("provincial dashboard: footnote and bar charts", started);
    browser.wait_text("#dash-time figcaption", "lũy kế").await;
    step("  with the chart over time", started);
    browser.screenshot("12-full-demo-dashboard").await;
    browser.scroll_to("#dash-charts").await;
    browser.screenshot("13-full-demo-charts").await;
    browser.scroll_to("#dash-time").await;
    browser.screenshot("14-full-demo-over-time").await;
    browser.no_errors("full demo").await;
    browser.client.clone().close().await.expect("close");
}

/// The annotated workbook behind the report's link, fetched as the browser
/// would (its session cookie): each rejected row carries its reason.
async fn annotated_file_marks_the_errors(browser: &Browser) {
    use base64::Engine as _;
    let script = "const a = document.querySelector('a[href$=\"/annotated\"]'); \
        return fetch(a.getAttribute('href')).then(r => r.arrayBuffer()).then(b => { \
          let s = ''; new Uint8Array(b).forEach(c => { s += String.fromCharCode(c); }); return btoa(s); });";
    let encoded = browser.run(script, vec![]).await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_str().unwrap_or_default())
        .expect("base64");
    let text = ansinh::import::workbook::roll_text(&bytes).expect("an .xlsx workbook");
    let text = String::from_utf8_lossy(&text);
    let tam = text
        .lines()
        .find(|l| l.contains("Lê Văn Tám"))
        .unwrap_or_default();
    assert!(
        tam.contains("29500") && tam.contains("huyện"),
        "the row and its reason: {tam}"
    );
}
