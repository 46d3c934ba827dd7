//! Checks the generator against its own files, re-read with the `csv` crate and
//! the domain parsers, independently of the generator's counters.

use super::*;
use crate::domain::admin_units::units;
use crate::domain::text::{fold_key, nfc};
use crate::domain::{NationalId, Program};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// A CSV file as an importer would see it: header names folded to canonical keys.
struct Sheet {
    columns: HashMap<String, usize>,
    records: Vec<csv::StringRecord>,
}

impl Sheet {
    fn read(path: &Path) -> Sheet {
        let bytes = std::fs::read(path).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first_line = text.lines().next().unwrap();
        let delimiter = [b',', b'\t', b';']
            .into_iter()
            .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
            .unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let columns = reader
            .headers()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(index, header)| (canonical(header), index))
            .collect();
        let records = reader.records().map(Result::unwrap).collect();
        Sheet { columns, records }
    }

    fn field<'a>(&self, record: &'a csv::StringRecord, name: &str) -> &'a str {
        let index = self
            .columns
            .get(name)
            .unwrap_or_else(|| panic!("no column {name}"));
        record.get(*index).unwrap()
    }
}

/// The design's header aliases, folded: Vietnamese (any case, any diacritics) or English.
fn canonical(header: &str) -> String {
    let key = fold_key(header);
    let name = match key.as_str() {
        "ho va ten" | "full name" => "full_name",
        "so cccd cmnd" | "national id" => "national_id",
        "ma xa" | "commune code" => "commune_code",
        "nhom doi tuong" | "category" => "category",
        "so tien" | "amount" => "amount",
        "so quyet dinh" | "decision no" => "decision_no",
        "ngay quyet dinh" | "decision date" => "decision_date",
        "ngay chi" | "paid date" => "paid_date",
        "so chung tu" | "reference" => "reference",
        other => other,
    };
    name.to_string()
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .map_err(|e| format!("date '{text}': {e}"))
}

fn is_totals_row(sheet: &Sheet, record: &csv::StringRecord) -> bool {
    matches!(
        fold_key(sheet.field(record, "full_name")).as_str(),
        "tong cong" | "cong"
    )
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Figures {
    support_beneficiaries: u64,
    support_approved: i64,
    support_paid: i64,
    food_approved: i64,
    all_support_beneficiaries: u64,
    all_support_approved: i64,
    all_support_paid: i64,
    all_food_approved: i64,
}

struct Approval {
    district: String,
    amount: i64,
    date: NaiveDate,
    paid: i64,
}

/// Re-reads every file of the plan, checks each row the way the importer
/// must, and sums what it accepts.
struct Rederivation {
    programs: HashMap<String, Program>,
    approvals: HashMap<(String, String), Approval>,
    people: HashSet<String>,
    references: HashSet<String>,
    approved_by_district: HashMap<(String, String), i64>,
    categories: std::cell::RefCell<HashMap<(String, String), Option<usize>>>,
    figures: Figures,
}

impl Rederivation {
    fn run(plan: &DemoPlan) -> Rederivation {
        let programs = plan
            .programs
            .iter()
            .map(|file| {
                let program =
                    Program::from_toml(&std::fs::read_to_string(&file.path).unwrap()).unwrap();
                assert_eq!(program.code.as_str(), file.code);
                (file.code.clone(), program)
            })
            .collect();
        let mut state = Rederivation {
            programs,
            approvals: HashMap::new(),
            people: HashSet::new(),
            references: HashSet::new(),
            approved_by_district: HashMap::new(),
            categories: Default::default(),
            figures: Figures::default(),
        };
        for file in &plan.rolls {
            match file.kind {
                RollKind::Approvals => state.approvals_file(file),
                RollKind::Payments => state.payments_file(file),
            }
        }
        state
    }

    fn approvals_file(&mut self, file: &RollFile) {
        let sheet = Sheet::read(&file.path);
        let support =
            self.programs[&file.program].footnote == crate::domain::program::FootnoteGroup::Support;
        let (mut data_rows, mut valid_sum, mut totals, mut rejected) = (0, 0, None, Vec::new());
        for record in &sheet.records {
            if is_totals_row(&sheet, record) {
                totals = Some(Money::parse(sheet.field(record, "amount")).unwrap());
                continue;
            }
            data_rows += 1;
            match self.check_approval(&sheet, record, file) {
                Ok((id, amount, date)) => {
                    assert!(self.people.insert(id.clone()), "{id} approved twice");
                    valid_sum += amount;
                    self.count_approval(support, amount, date);
                    *self
                        .approved_by_district
                        .entry((file.program.clone(), file.district.clone()))
                        .or_default() += amount;
                    let approval = Approval {
                        district: file.district.clone(),
                        amount,
                        date,
                        paid: 0,
                    };
                    self.approvals.insert((file.program.clone(), id), approval);
                }
                Err(_) => rejected.push(data_rows),
            }
        }
        assert_eq!(data_rows, file.data_rows, "{:?}", file.path);
        assert_eq!(
            data_rows - rejected.len(),
            file.valid_rows,
            "{:?}",
            file.path
        );
        let expected: Vec<usize> = file.rejects.iter().map(|r| r.record).collect();
        assert_eq!(rejected, expected, "{:?}", file.path);
        assert_eq!(totals, file.totals_row, "{:?}", file.path);
        if let Some(total) = totals {
            assert_eq!(total.dong(), valid_sum, "{:?}", file.path);
        }
    }

    fn check_approval(
        &self,
        sheet: &Sheet,
        record: &csv::StringRecord,
        file: &RollFile,
    ) -> Result<(String, i64, NaiveDate), String> {
        let id =
            NationalId::parse(sheet.field(record, "national_id")).map_err(|e| e.to_string())?;
        let commune = units()
            .commune(sheet.field(record, "commune_code"))
            .ok_or("unknown commune")?;
        if commune.district_code != file.district {
            return Err("commune outside the district".into());
        }
        let amount = Money::parse(sheet.field(record, "amount")).map_err(|e| e.to_string())?;
        let program = &self.programs[&file.program];
        let text = sheet.field(record, "category");
        // Folding every row's category text is slow in debug builds; a file
        // uses a handful of distinct texts, so resolve each once.
        let mut cache = self.categories.borrow_mut();
        let index = *cache
            .entry((file.program.clone(), text.to_string()))
            .or_insert_with(|| {
                program
                    .category(text)
                    .and_then(|c| program.categories.iter().position(|p| p.code == c.code))
            });
        let category = &program.categories[index.ok_or("unknown category")?];
        category.rule.check(amount)?;
        let date = parse_date(sheet.field(record, "decision_date"))?;
        Ok((id.as_str().to_string(), amount.dong(), date))
    }

    fn count_approval(&mut self, support: bool, amount: i64, date: NaiveDate) {
        let figures = &mut self.figures;
        let as_of = date <= AS_OF;
        if support {
            figures.all_support_beneficiaries += 1;
            figures.all_support_approved += amount;
            if as_of {
                figures.support_beneficiaries += 1;
                figures.support_approved += amount;
            }
        } else {
            figures.all_food_approved += amount;
            if as_of {
                figures.food_approved += amount;
            }
        }
    }

    fn payments_file(&mut self, file: &RollFile) {
        let sheet = Sheet::read(&file.path);
        let support =
            self.programs[&file.program].footnote == crate::domain::program::FootnoteGroup::Support;
        let mut rejected = Vec::new();
        for (index, record) in sheet.records.iter().enumerate() {
            let id = NationalId::parse(sheet.field(record, "national_id")).unwrap();
            let amount = Money::parse(sheet.field(record, "amount")).unwrap().dong();
            let date = parse_date(sheet.field(record, "paid_date")).unwrap();
            let reference = sheet.field(record, "reference").to_string();
            let key = (file.program.clone(), id.as_str().to_string());
            let Some(approval) = self.approvals.get_mut(&key) else {
                rejected.push(index + 1);
                continue;
            };
            if !self.references.insert(reference) {
                rejected.push(index + 1);
                continue;
            }
            assert_eq!(approval.district, file.district);
            assert!(
                date >= approval.date,
                "paid before the decision: {:?}",
                file.path
            );
            approval.paid += amount;
            assert!(
                approval.paid <= approval.amount,
                "overpaid in {:?}",
                file.path
            );
            if support {
                self.figures.all_support_paid += amount;
                if date <= AS_OF {
                    self.figures.support_paid += amount;
                }
            }
        }
        assert_eq!(sheet.records.len(), file.data_rows, "{:?}", file.path);
        let expected: Vec<usize> = file.rejects.iter().map(|r| r.record).collect();
        assert_eq!(rejected, expected, "{:?}", file.path);
        assert_eq!(rejected.len(), 2, "{:?}", file.path);
    }

    fn check_against(&self, plan: &DemoPlan) {
        let expected = &plan.expected;
        let from_plan = Figures {
            support_beneficiaries: expected.support_beneficiaries,
            support_approved: expected.support_approved.dong(),
            support_paid: expected.support_paid.dong(),
            food_approved: expected.food_approved.dong(),
            all_support_beneficiaries: expected.all_support_beneficiaries,
            all_support_approved: expected.all_support_approved.dong(),
            all_support_paid: expected.all_support_paid.dong(),
            all_food_approved: expected.all_food_approved.dong(),
        };
        assert_eq!(self.figures, from_plan);
        let donated = |all: bool| -> i64 {
            plan.donations
                .iter()
                .filter(|d| all || d.date <= AS_OF)
                .map(|d| d.amount.dong())
                .sum()
        };
        assert_eq!(donated(false), expected.fund_donated.dong());
        assert_eq!(donated(true), expected.all_fund_donated.dong());
        for ((program, district), approved) in &self.approved_by_district {
            let budget = self.programs[program].budgets
                [&crate::domain::DistrictCode::parse(district).unwrap()];
            assert!(
                budget.dong() >= *approved,
                "{program} {district}: budget below approvals"
            );
        }
    }
}

fn small_plan() -> (tempfile::TempDir, DemoPlan) {
    let dir = tempfile::tempdir().unwrap();
    let plan = generate(Scale::Small, dir.path()).unwrap();
    (dir, plan)
}

/// SHA-256 over every file name and its bytes, in name order.
fn digest_of(dir: &Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(name.as_encoded_bytes());
        hasher.update(std::fs::read(dir.join(&name)).unwrap());
    }
    hex::encode(hasher.finalize())
}

#[test]
fn small_plan_rederives_from_its_files() {
    let started = Instant::now();
    let (_dir, plan) = small_plan();
    let generated = started.elapsed();
    Rederivation::run(&plan).check_against(&plan);
    assert!(plan.expected.support_beneficiaries > 2_500);
    assert_eq!(
        plan.expected.support_approved,
        Money::from_dong(4_555_498_000)
    );
    assert_eq!(plan.expected.food_approved, Money::from_dong(86_000_000));
    println!("SMALL generated in {generated:?}");
}

#[test]
fn generation_is_deterministic() {
    let (first, _) = small_plan();
    let (second, _) = small_plan();
    assert_eq!(digest_of(first.path()), digest_of(second.path()));
}

/// Pins the exact bytes: a change here means every machine's demo changes.
/// Update the constant only for an intended change of the demo data.
#[test]
fn small_output_is_pinned() {
    let (dir, _) = small_plan();
    assert_eq!(digest_of(dir.path()), PINNED_SMALL_DIGEST);
}

const PINNED_SMALL_DIGEST: &str =
    "d3b0681866312650a28682d38a9fed6312392f1f33cd478bbab596a01ee0923e";

#[test]
fn programs_parse_and_cover_all_districts() {
    let (_dir, plan) = small_plan();
    let codes: Vec<&str> = plan.programs.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["NQ68", "NQ116", "AN-CACH-LY"]);
    for file in &plan.programs {
        let program = Program::from_toml(&std::fs::read_to_string(&file.path).unwrap()).unwrap();
        assert_eq!(program.budgets.len(), 9, "{}", file.code);
    }
}

#[test]
fn rolls_come_in_import_order_with_the_promised_rejects() {
    let (_dir, plan) = small_plan();
    let mut paid: HashSet<(String, String)> = HashSet::new();
    for file in &plan.rolls {
        let key = (file.program.clone(), file.district.clone());
        match file.kind {
            RollKind::Approvals => assert!(!paid.contains(&key), "approvals after payments"),
            RollKind::Payments => assert!(paid.insert(key), "two payment files"),
        }
        let name = file.path.file_name().unwrap().to_str().unwrap();
        let expected_rejects = match (file.kind, file.program.as_str()) {
            (RollKind::Payments, _) => 2,
            (_, _) if name.contains("bo-sung") => 0,
            (_, "NQ68") => 4,
            (_, "NQ116") => 2,
            _ => 0,
        };
        assert_eq!(file.rejects.len(), expected_rejects, "{name}");
        assert_eq!(file.data_rows - file.valid_rows, expected_rejects, "{name}");
        assert_eq!(
            file.totals_row.is_some(),
            file.kind == RollKind::Approvals && expected_rejects == 0,
            "{name}"
        );
    }
    assert_eq!(paid.len(), 27);
    let december = plan
        .rolls
        .iter()
        .filter(|f| f.path.to_string_lossy().contains("bo-sung"))
        .count();
    assert_eq!(december, 11);
}

#[test]
fn files_show_the_formats_districts_send() {
    let (dir, _) = small_plan();
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let city = read("842-NQ68-phe-duyet.csv");
    assert!(city
        .starts_with("\u{feff}STT;Họ và tên;Ngày sinh;Giới tính;Số CCCD/CMND;Mã xã;".as_bytes()));
    assert!(city.windows(2).any(|w| w == b"\r\n"));
    let exported = String::from_utf8(read("844-NQ68-phe-duyet.csv")).unwrap();
    assert!(exported.starts_with("stt,full_name,date_of_birth,"));
    assert!(!exported.contains('\r'));
    assert!(
        exported.contains(", Huyện Càng Long\","),
        "quoted address with commas"
    );
    let tabbed = String::from_utf8(read("847-NQ68-phe-duyet.csv")).unwrap();
    assert!(tabbed.starts_with("STT\tSố CCCD/CMND\t"));
    let multiline = String::from_utf8(read("845-NQ68-phe-duyet.csv")).unwrap();
    assert!(multiline.contains("\"Đã xác minh lại,\nbổ sung hồ sơ ngày 15/9/2021\""));
    let upper = String::from_utf8(read("848-NQ68-phe-duyet.csv")).unwrap();
    assert!(upper.contains("HỌ VÀ TÊN") && upper.contains(" đ;"));
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert_eq!(nfc(&text), text, "files are NFC");
    }
}

#[test]
fn name_tables_are_nfc() {
    for part in people::all_name_parts() {
        assert_eq!(nfc(part), part);
    }
}

/// A decision number names one decision: one program, one district, one date.
#[test]
fn decision_numbers_are_unique() {
    let (_dir, plan) = small_plan();
    let mut decisions: HashMap<String, (String, String, NaiveDate)> = HashMap::new();
    for file in plan.rolls.iter().filter(|f| f.kind == RollKind::Approvals) {
        let sheet = Sheet::read(&file.path);
        for record in sheet.records.iter().filter(|r| !is_totals_row(&sheet, r)) {
            let number = sheet.field(record, "decision_no").to_string();
            assert!(number.ends_with("/QĐ-UBND"), "{number}");
            let date = parse_date(sheet.field(record, "decision_date")).unwrap();
            let owner = (file.program.clone(), file.district.clone(), date);
            assert_eq!(
                decisions
                    .entry(number.clone())
                    .or_insert_with(|| owner.clone()),
                &owner,
                "{number}"
            );
            assert!(date <= AS_OF || file.path.to_string_lossy().contains("bo-sung"));
        }
    }
}

#[test]
fn donations_reach_the_fund_total() {
    let (_dir, plan) = small_plan();
    let by_as_of: Vec<_> = plan.donations.iter().filter(|d| d.date <= AS_OF).collect();
    assert_eq!(by_as_of.len(), 40);
    assert_eq!(plan.expected.fund_donated, Money::from_dong(70_482_350_000));
    assert!(plan.expected.all_fund_donated > plan.expected.fund_donated);
    let balance = by_as_of
        .iter()
        .find(|d| d.donor.contains("một ngày lương"))
        .unwrap();
    assert!(balance.amount > Money::from_dong(1_000_000_000));
    assert!(balance.amount < Money::from_dong(15_000_000_000));
}

/// The headline figures of the directive, at full scale (about 2 s in a debug build).
#[test]
fn full_scale_hits_the_directive_figures() {
    let dir = tempfile::tempdir().unwrap();
    let plan = generate(Scale::Full, dir.path()).unwrap();
    let expected = &plan.expected;
    assert_eq!(
        expected.as_of,
        NaiveDate::from_ymd_opt(2021, 11, 25).unwrap()
    );
    assert_eq!(expected.support_beneficiaries, 292_983);
    assert_eq!(expected.support_approved, Money::from_dong(455_549_800_000));
    assert_eq!(expected.support_approved.format_ty(), "455,55 tỷ");
    assert_eq!(expected.food_approved, Money::from_dong(8_600_000_000));
    assert_eq!(expected.food_approved.format_ty(), "8,6 tỷ");
    assert_eq!(expected.fund_donated, Money::from_dong(70_482_350_000));
    assert!(expected.all_support_beneficiaries >= expected.support_beneficiaries + 3_000);
    assert!(expected.all_food_approved > expected.food_approved);
    assert!(expected.support_paid < expected.support_approved);
    assert!(expected.all_support_paid > expected.support_paid);
    let approvals = |program: &str| -> usize {
        plan.rolls
            .iter()
            .filter(|f| f.kind == RollKind::Approvals && f.program == program)
            .map(|f| f.valid_rows)
            .sum()
    };
    let nq68_share = approvals("NQ68") as f64 / (approvals("NQ68") + approvals("NQ116")) as f64;
    assert!((0.83..0.88).contains(&nq68_share), "{nq68_share}");
}

/// The same, re-derived from the 94 MB of files. About 11 s in a debug build
/// (the csv crate unoptimised), under 1 s in release:
/// `cargo test --release --lib demo -- --ignored`.
#[test]
#[ignore]
fn full_scale_rederives_from_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let plan = generate(Scale::Full, dir.path()).unwrap();
    println!("FULL generated in {:?}", started.elapsed());
    let started = Instant::now();
    Rederivation::run(&plan).check_against(&plan);
    println!("FULL re-derived in {:?}", started.elapsed());
}
