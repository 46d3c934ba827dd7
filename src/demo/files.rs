//! Writing rolls as the CSV files districts send: one approval file per roll
//! (with its damaged rows or its totals row) and one payment file per program
//! and district. Each writer reports what an importer should accept.

use super::dialect::{self, Column as C, Dialect, COLUMN_COUNT};
use super::people::{self, push_fmt, Method, People, Person};
use super::programs::{ymd, CategorySpec, FOOD, FOOD_PER_DAY};
use super::province::{District, Province};
use super::rng::Rng;
use super::rolls::{push_decision_number, Batch, Decision, Grant, Roll};
use super::{RejectReason, RejectedRow, AS_OF};
use crate::domain::Money;
use chrono::{Datelike, Days, NaiveDate};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

const SEED_NOTE: u64 = 0x006E_07E5;
/// Late payments of people approved by 25/11 fall in the first four weeks of December.
const DECEMBER_FIRST: NaiveDate = ymd(2021, 12, 1);
const SEED_PAYMENT: u64 = 0xC4_1724;

/// Valid rows of a file, split by whether their date is on or before 25/11/2021.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub rows_as_of: u64,
    pub rows_all: u64,
    pub amount_as_of: i64,
    pub amount_all: i64,
}

impl Tally {
    fn add(&mut self, date: NaiveDate, amount: i64) {
        self.rows_all += 1;
        self.amount_all += amount;
        if date <= AS_OF {
            self.rows_as_of += 1;
            self.amount_as_of += amount;
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.rows_as_of += other.rows_as_of;
        self.rows_all += other.rows_all;
        self.amount_as_of += other.amount_as_of;
        self.amount_all += other.amount_all;
    }
}

/// What a written file holds, as an importer should see it.
#[derive(Default)]
pub struct Written {
    pub data_rows: usize,
    pub valid_rows: usize,
    pub rejects: Vec<RejectedRow>,
    pub totals_row: Option<Money>,
    pub tally: Tally,
}

/// One reusable buffer per column: rows are filled in place, not allocated.
struct Cells([String; COLUMN_COUNT]);

impl Cells {
    fn new() -> Cells {
        Cells(std::array::from_fn(|_| String::with_capacity(64)))
    }

    fn clear(&mut self) {
        self.0.iter_mut().for_each(String::clear);
    }

    fn at(&mut self, column: C) -> &mut String {
        &mut self.0[column as usize]
    }

    fn get(&self, column: C) -> &str {
        &self.0[column as usize]
    }
}

struct CsvFile {
    writer: csv::Writer<BufWriter<File>>,
    columns: &'static [C],
    cells: Cells,
}

impl CsvFile {
    fn create(path: &Path, dialect: &Dialect, columns: &'static [C]) -> io::Result<CsvFile> {
        let mut file = BufWriter::with_capacity(1 << 16, File::create(path)?);
        if dialect.bom {
            file.write_all("\u{feff}".as_bytes())?;
        }
        let terminator = if dialect.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(dialect.delimiter)
            .terminator(terminator)
            .from_writer(file);
        let headers: Vec<_> = columns
            .iter()
            .map(|c| dialect::header(*c, dialect.headers))
            .collect();
        writer.write_record(headers.iter().map(|h| h.as_bytes()))?;
        Ok(CsvFile {
            writer,
            columns,
            cells: Cells::new(),
        })
    }

    fn write_row(&mut self) -> io::Result<()> {
        let cells = &self.cells;
        self.writer
            .write_record(self.columns.iter().map(|c| cells.get(*c).as_bytes()))?;
        Ok(())
    }

    /// Flushes the csv buffer and the file buffer, so write errors surface here.
    fn finish(mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

pub struct ApprovalFile<'a> {
    pub roll: &'a Roll,
    /// Damaged rows, spread evenly through the file.
    pub bad_rows: &'a [RejectReason],
    /// A trailing `Tổng cộng` row with the sum of the valid amounts.
    pub totals_row: bool,
}

pub fn write_approvals(
    province: &Province,
    file: &ApprovalFile<'_>,
    path: &Path,
    people: &mut People,
) -> io::Result<Written> {
    let roll = file.roll;
    let district = &province.districts[roll.district];
    let dialect = district.dialect;
    let mut out = CsvFile::create(path, dialect, dialect.approval_columns)?;
    let mut written = Written::default();
    let count = roll.grants.len();
    let mut pending = file
        .bad_rows
        .iter()
        .enumerate()
        .map(|(j, reason)| ((j + 1) * count / (file.bad_rows.len() + 1), *reason))
        .peekable();
    for (index, grant) in roll.grants.iter().enumerate() {
        while let Some((_, reason)) = pending.next_if(|(at, _)| *at == index) {
            write_bad_row(
                &mut out,
                province,
                roll,
                grant.decision,
                reason,
                &mut written,
                people,
            )?;
        }
        written.data_rows += 1;
        fill_grant(&mut out.cells, district, roll, grant, written.data_rows);
        out.write_row()?;
        written.valid_rows += 1;
        written.tally.add(
            roll.decisions[usize::from(grant.decision)].date,
            grant.amount,
        );
    }
    for (_, reason) in pending {
        write_bad_row(&mut out, province, roll, 0, reason, &mut written, people)?;
    }
    if file.totals_row {
        let total = written.tally.amount_all;
        out.cells.clear();
        out.cells.at(C::FullName).push_str(dialect.totals_label);
        dialect::push_amount(out.cells.at(C::Amount), total, dialect.amounts);
        out.write_row()?;
        written.totals_row = Some(Money::from_dong(total));
    }
    out.finish()?;
    Ok(written)
}

fn fill_grant(cells: &mut Cells, district: &District, roll: &Roll, grant: &Grant, stt: usize) {
    let dialect = district.dialect;
    let category = &roll.spec().categories[usize::from(grant.category)];
    let person = Person::derive(grant.person, category.born, district.khmer_percent);
    cells.clear();
    push_fmt(cells.at(C::Stt), format_args!("{stt}"));
    person.push_name(cells.at(C::FullName));
    push_birth(cells.at(C::BirthDate), &person, dialect);
    cells.at(C::Sex).push_str(person.sex.label());
    cells.at(C::Ethnicity).push_str(person.ethnicity());
    person.push_national_id(cells.at(C::NationalId));
    let commune = people::place(
        grant.person,
        &district.communes,
        district.name,
        cells.at(C::Address),
    );
    cells.at(C::Commune).push_str(&commune.code);
    let category_text = if dialect.category_codes {
        category.code
    } else {
        category.name
    };
    cells.at(C::Category).push_str(category_text);
    dialect::push_amount(cells.at(C::Amount), grant.amount, dialect.amounts);
    let decision = &roll.decisions[usize::from(grant.decision)];
    push_decision_number(cells.at(C::DecisionNo), decision.number);
    dialect::push_date(cells.at(C::DecisionDate), decision.date, dialect.dates);
    let method = Method::of(grant.person);
    cells.at(C::PaymentMethod).push_str(method.label());
    if method == Method::Transfer {
        people::push_bank_account(grant.person, cells.at(C::BankAccount));
    }
    push_note(
        cells.at(C::Note),
        grant,
        category,
        roll.program,
        stt,
        dialect,
    );
}

fn push_birth(out: &mut String, person: &Person, dialect: &Dialect) {
    if person.birth.year() < dialect.year_only_before {
        push_fmt(out, format_args!("{}", person.birth.year()));
    } else {
        dialect::push_date(out, person.birth, dialect.dates);
    }
}

fn push_note(
    out: &mut String,
    grant: &Grant,
    category: &CategorySpec,
    program: usize,
    stt: usize,
    dialect: &Dialect,
) {
    if dialect.multiline_note && stt == 7 {
        out.push_str("Đã xác minh lại,\nbổ sung hồ sơ ngày 15/9/2021");
        return;
    }
    let mut rng = Rng::for_item(SEED_NOTE, u64::from(grant.person));
    let note: &&str = rng.pick(category.notes);
    out.push_str(note);
    if program == FOOD {
        push_fmt(
            out,
            format_args!(", cách ly {} ngày", grant.amount / FOOD_PER_DAY),
        );
    }
}

/// A row the importer must refuse: a new person in the program's first
/// category, damaged the way spreadsheets and officers really damage rows.
fn write_bad_row(
    out: &mut CsvFile,
    province: &Province,
    roll: &Roll,
    decision: u8,
    reason: RejectReason,
    written: &mut Written,
    people: &mut People,
) -> io::Result<()> {
    let district = &province.districts[roll.district];
    let dialect = district.dialect;
    let grant = Grant {
        person: people.fresh(),
        category: 0,
        amount: roll.spec().categories[0].typical_amount(),
        decision,
    };
    written.data_rows += 1;
    fill_grant(&mut out.cells, district, roll, &grant, written.data_rows);
    let cells = &mut out.cells;
    match reason {
        RejectReason::IdLeadingZeroDropped => {
            let id = std::mem::take(cells.at(C::NationalId));
            cells.at(C::NationalId).push_str(id.trim_start_matches('0'));
        }
        RejectReason::IdScientificNotation => {
            let id = std::mem::take(cells.at(C::NationalId));
            dialect::push_scientific_id(cells.at(C::NationalId), &id, dialect.amounts);
        }
        RejectReason::FractionalAmount => {
            cells.at(C::Amount).clear();
            dialect::push_fractional_amount(cells.at(C::Amount), grant.amount, dialect.amounts);
        }
        RejectReason::CommuneOutsideDistrict => {
            let other = &province.districts[(roll.district + 1) % province.districts.len()];
            cells.at(C::Address).clear();
            let commune = people::place(
                grant.person,
                &other.communes,
                other.name,
                cells.at(C::Address),
            );
            cells.at(C::Commune).clear();
            cells.at(C::Commune).push_str(&commune.code);
        }
        RejectReason::PaymentWithoutApproval | RejectReason::DuplicatePaymentReference => {}
    }
    out.write_row()?;
    written.rejects.push(RejectedRow {
        record: written.data_rows,
        reason,
    });
    Ok(())
}

#[derive(Clone)]
struct PaymentLine {
    person: u32,
    category: u8,
    amount: i64,
    date: NaiveDate,
    decision: u32,
    reference: u32,
    refused: Option<RejectReason>,
}

/// Writes the payment roll of one program and district, covering the grants of
/// `rolls` (its main and December approvals). References continue the
/// district's own numbering in `next_reference`.
pub fn write_payments(
    province: &Province,
    rolls: &[&Roll],
    path: &Path,
    people: &mut People,
    next_reference: &mut u32,
) -> io::Result<Written> {
    let Some(first) = rolls.first() else {
        return Ok(Written::default());
    };
    let district = &province.districts[first.district];
    let mut lines: Vec<PaymentLine> = Vec::new();
    for roll in rolls {
        for grant in &roll.grants {
            plan_payments(
                grant,
                &roll.decisions[usize::from(grant.decision)],
                roll.batch,
                &mut lines,
            );
        }
    }
    // Banks and post offices list payments by date.
    lines.sort_by_key(|line| line.date);
    for line in &mut lines {
        line.reference = take_reference(next_reference);
    }
    add_refused_lines(&mut lines, first, people, next_reference);
    write_payment_lines(path, district, first, &lines)
}

fn take_reference(next: &mut u32) -> u32 {
    *next += 1;
    *next
}

/// ~91.5 % of people approved by 25/11 are paid in full by then, 1 % get half
/// (half of those the rest in December), 6.5 % are paid in December, 1 % not yet.
fn plan_payments(grant: &Grant, decision: &Decision, batch: Batch, lines: &mut Vec<PaymentLine>) {
    let mut rng = Rng::for_item(SEED_PAYMENT, u64::from(grant.person));
    let half = grant.amount / 2_000 * 1_000;
    let mut pay = |amount: i64, date: NaiveDate| {
        lines.push(PaymentLine {
            person: grant.person,
            category: grant.category,
            amount,
            date,
            decision: decision.number,
            reference: 0,
            refused: None,
        })
    };
    let ticket = rng.below(1_000);
    match batch {
        Batch::Main => {
            let soon = (decision.date + Days::new(rng.between(1, 20))).min(AS_OF);
            let december = DECEMBER_FIRST + Days::new(rng.below(28));
            match ticket {
                0..=914 => pay(grant.amount, soon),
                915..=924 => {
                    pay(half, soon);
                    if rng.chance(500) {
                        pay(grant.amount - half, december);
                    }
                }
                925..=989 => pay(grant.amount, december),
                _ => {}
            }
        }
        Batch::December => {
            let soon = decision.date + Days::new(rng.between(2, 12));
            match ticket {
                0..=899 => pay(grant.amount, soon),
                900..=949 => pay(half, soon),
                _ => {}
            }
        }
    }
}

/// Adds the two lines every payment roll must have refused: a line exported
/// twice (same reference), and a payment to someone never approved.
fn add_refused_lines(
    lines: &mut Vec<PaymentLine>,
    roll: &Roll,
    people: &mut People,
    next_reference: &mut u32,
) {
    if lines.is_empty() {
        return;
    }
    let original = lines.len() / 3;
    let mut duplicate = lines[original].clone();
    duplicate.refused = Some(RejectReason::DuplicatePaymentReference);
    lines.insert(original + 1, duplicate);
    let at = lines.len() * 2 / 3;
    let neighbour = &lines[at];
    let stranger = PaymentLine {
        person: people.fresh(),
        category: 0,
        amount: roll.spec().categories[0].typical_amount(),
        date: neighbour.date,
        decision: neighbour.decision,
        reference: take_reference(next_reference),
        refused: Some(RejectReason::PaymentWithoutApproval),
    };
    lines.insert(at, stranger);
}

fn write_payment_lines(
    path: &Path,
    district: &District,
    roll: &Roll,
    lines: &[PaymentLine],
) -> io::Result<Written> {
    let dialect = district.dialect;
    let mut out = CsvFile::create(path, dialect, dialect.payment_columns)?;
    let mut written = Written::default();
    for (index, line) in lines.iter().enumerate() {
        let category = &roll.spec().categories[usize::from(line.category)];
        let person = Person::derive(line.person, category.born, district.khmer_percent);
        let cells = &mut out.cells;
        cells.clear();
        push_fmt(cells.at(C::Stt), format_args!("{}", index + 1));
        person.push_national_id(cells.at(C::NationalId));
        person.push_name(cells.at(C::FullName));
        dialect::push_amount(cells.at(C::Amount), line.amount, dialect.amounts);
        dialect::push_date(cells.at(C::PaidDate), line.date, dialect.dates);
        cells
            .at(C::PaymentMethod)
            .push_str(Method::of(line.person).label());
        push_fmt(
            cells.at(C::Reference),
            format_args!("CT-{}-{:06}", district.code, line.reference),
        );
        push_decision_number(cells.at(C::DecisionNo), line.decision);
        out.write_row()?;
        written.data_rows += 1;
        match line.refused {
            Some(reason) => written.rejects.push(RejectedRow {
                record: index + 1,
                reason,
            }),
            None => {
                written.valid_rows += 1;
                written.tally.add(line.date, line.amount);
            }
        }
    }
    out.finish()?;
    Ok(written)
}
