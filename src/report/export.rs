//! Exports of the journal for tools nobody here wrote: hledger/ledger-cli
//! journal format, Beancount, and CSV (one posting per row). Entries are in
//! date order (then journal order), as `hledger check ordereddates` wants:
//! streamed as their postings arrive from the store, except that an entry
//! dated after a later entry (a reversal, say) waits until every entry dated
//! before it is written.

use crate::domain::journal::{AccountTotal, StoredHeader, StoredPosting};
use crate::store::{JournalSink, Store, StoreResult};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Ledger,
    Beancount,
    Csv,
}

/// Writes the journal (entries effective on or before `as_of`, if given).
pub async fn export(
    store: &dyn Store,
    format: Format,
    as_of: Option<NaiveDate>,
    out: &mut (dyn Write + Send),
) -> StoreResult<()> {
    let head = store.head().await?;
    let as_of_text = as_of.map(|d| d.format("%Y-%m-%d").to_string());
    let mut writer = ExportWriter {
        format,
        as_of: as_of_text,
        out,
        headers: Vec::new(),
        next: 0,
        current: Vec::new(),
        later_dates: Vec::new(),
        waiting: BTreeMap::new(),
        error: None,
    };
    writer.preamble(
        head.map(|h| h.to_string()).unwrap_or_default(),
        &store.account_sums(None, None).await?,
    )?;
    store.scan(&mut writer).await?;
    writer.flush_current();
    writer.write_waiting(None);
    writer.error.map_or(Ok(()), |e| {
        Err(crate::store::StoreError::Corrupt(format!(
            "writing the export: {e}"
        )))
    })
}

struct ExportWriter<'a> {
    format: Format,
    as_of: Option<String>,
    out: &'a mut (dyn Write + Send),
    headers: Vec<StoredHeader>,
    next: usize,
    current: Vec<StoredPosting>,
    /// `later_dates[i]`: the earliest date of the exported entries after
    /// header `i` (`None`: none after it). Filled at the first posting, when
    /// every header has arrived.
    later_dates: Vec<Option<String>>,
    /// Rendered entries waiting for entries dated before them, by (date, seq).
    waiting: BTreeMap<(String, i64), Vec<u8>>,
    error: Option<std::io::Error>,
}

impl ExportWriter<'_> {
    fn preamble(
        &mut self,
        checkpoint: String,
        accounts: &[crate::store::AccountSum],
    ) -> StoreResult<()> {
        let result = match self.format {
            Format::Ledger => writeln!(self.out, "; ansinh journal export — checkpoint {checkpoint}\n; amounts in whole đồng (VND)\n"),
            Format::Beancount => {
                let mut text = format!(
                    ";; ansinh journal export — checkpoint {checkpoint}\noption \"title\" \"ansinh\"\noption \"operating_currency\" \"VND\"\n\n"
                );
                // Two accounts under one Beancount name would silently add up there.
                let mut names = std::collections::BTreeMap::new();
                for account in accounts {
                    let name = beancount_account(&account.account);
                    if let Some(other) = names.insert(name.clone(), account.account.as_str()) {
                        return Err(crate::store::StoreError::Conflict(format!(
                            "accounts '{other}' and '{}' would both be '{name}' in Beancount, which would add them up: export --format ledger instead",
                            account.account
                        )));
                    }
                    text.push_str(&format!("1970-01-01 open {name} VND\n"));
                }
                writeln!(self.out, "{text}")
            }
            Format::Csv => writeln!(self.out, "seq,date,kind,reference,account,amount,beneficiary,source_line,posting_reference"),
        };
        result.map_err(|e| crate::store::StoreError::Corrupt(format!("writing the export: {e}")))
    }

    fn flush_current(&mut self) {
        let postings = std::mem::take(&mut self.current);
        let Some(seq) = postings.first().map(|p| p.entry_seq) else {
            return;
        };
        while self.next < self.headers.len() && self.headers[self.next].seq < seq {
            self.next += 1;
        }
        let Some(header) = self
            .headers
            .get(self.next)
            .filter(|h| h.seq == seq)
            .cloned()
        else {
            return;
        };
        if self
            .as_of
            .as_deref()
            .is_some_and(|d| header.effective_date.as_str() > d)
        {
            return;
        }
        let mut rendered = Vec::new();
        let result = match self.format {
            Format::Ledger => write_ledger(&mut rendered, &header, &postings),
            Format::Beancount => write_beancount(&mut rendered, &header, &postings),
            Format::Csv => write_csv(&mut rendered, &header, &postings),
        };
        if let Err(error) = result {
            self.error.get_or_insert(error);
        }
        self.waiting
            .insert((header.effective_date.clone(), header.seq), rendered);
        let later = self.later_dates.get(self.next).cloned().flatten();
        self.write_waiting(later.as_deref());
    }

    /// Writes the waiting entries dated up to `until` (all of them with `None`).
    fn write_waiting(&mut self, until: Option<&str>) {
        while let Some(entry) = self.waiting.first_entry() {
            if until.is_some_and(|until| entry.key().0.as_str() > until) {
                break;
            }
            let rendered = entry.remove();
            if let Err(error) = self.out.write_all(&rendered) {
                self.error.get_or_insert(error);
            }
        }
    }

    fn fill_later_dates(&mut self) {
        let mut earliest: Option<String> = None;
        self.later_dates = vec![None; self.headers.len()];
        for (index, header) in self.headers.iter().enumerate().rev() {
            self.later_dates[index] = earliest.clone();
            let exported = self
                .as_of
                .as_deref()
                .is_none_or(|d| header.effective_date.as_str() <= d);
            if exported
                && earliest
                    .as_deref()
                    .is_none_or(|e| header.effective_date.as_str() < e)
            {
                earliest = Some(header.effective_date.clone());
            }
        }
    }
}

impl JournalSink for ExportWriter<'_> {
    fn header(&mut self, header: StoredHeader) {
        self.headers.push(header);
    }

    fn total(&mut self, _entry_seq: i64, _account: String, _total: AccountTotal) {}

    fn posting(&mut self, posting: StoredPosting) {
        if self.later_dates.len() != self.headers.len() {
            self.fill_later_dates();
        }
        if self
            .current
            .first()
            .is_some_and(|p| p.entry_seq != posting.entry_seq)
        {
            self.flush_current();
        }
        self.current.push(posting);
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn write_ledger(
    out: &mut (dyn Write + Send),
    header: &StoredHeader,
    postings: &[StoredPosting],
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} ({}) {}  ; kind:{}, hash:{}",
        header.effective_date,
        header.seq,
        one_line(&header.reference).replace(';', ","),
        header.kind,
        header.hash
    )?;
    for posting in postings {
        write!(out, "    {}  {} VND", posting.account, posting.amount_dong)?;
        if let Some(beneficiary) = &posting.beneficiary {
            write!(out, "  ; beneficiary:{beneficiary}")?;
        }
        writeln!(out)?;
    }
    writeln!(out)
}

/// Beancount accounts need a capitalised root type and components that start
/// with a capital letter or a digit and hold only letters, digits and `-`.
/// Not injective (`tu-do`, `tu_do` and `Tu-do` meet): the export refuses a
/// chart where two accounts meet.
pub fn beancount_account(path: &str) -> String {
    let mut segments = path.split(':');
    let root = match segments.next().unwrap_or_default() {
        "appropriation" => "Equity:Appropriation",
        "budget" => "Assets:Budget",
        "payable" => "Liabilities:Payable",
        "disbursed" => "Expenses:Disbursed",
        "fund" => "Assets:Fund",
        "donations" => "Income:Donations",
        _ => "Equity:Other",
    };
    let mut account = root.to_string();
    for segment in segments {
        account.push(':');
        let cleaned = segment.replace('_', "-");
        let mut chars = cleaned.chars();
        match chars.next() {
            Some(first) if first.is_ascii_alphanumeric() => {
                account.push(first.to_ascii_uppercase());
                account.push_str(chars.as_str());
            }
            // `-x` is not a Beancount component; `X-x` is.
            _ => {
                account.push('X');
                account.push_str(&cleaned);
            }
        }
    }
    account
}

fn quoted(text: &str) -> String {
    one_line(text).replace('\\', "\\\\").replace('"', "\\\"")
}

fn write_beancount(
    out: &mut (dyn Write + Send),
    header: &StoredHeader,
    postings: &[StoredPosting],
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} * \"{}\" \"{}\"",
        header.effective_date,
        quoted(&header.kind),
        quoted(&header.reference)
    )?;
    writeln!(
        out,
        "  seq: \"{}\"\n  hash: \"{}\"",
        header.seq, header.hash
    )?;
    for posting in postings {
        writeln!(
            out,
            "  {}  {} VND",
            beancount_account(&posting.account),
            posting.amount_dong
        )?;
        if let Some(beneficiary) = &posting.beneficiary {
            writeln!(out, "    beneficiary: \"{beneficiary}\"")?;
        }
    }
    writeln!(out)
}

fn write_csv(
    out: &mut (dyn Write + Send),
    header: &StoredHeader,
    postings: &[StoredPosting],
) -> std::io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for posting in postings {
        writer.write_record([
            header.seq.to_string(),
            header.effective_date.clone(),
            header.kind.clone(),
            crate::domain::text::csv_safe(&header.reference),
            crate::domain::text::csv_safe(&posting.account),
            posting.amount_dong.to_string(),
            posting.beneficiary.clone().unwrap_or_default(),
            posting
                .source_line
                .map(|l| l.to_string())
                .unwrap_or_default(),
            crate::domain::text::csv_safe(posting.reference.as_deref().unwrap_or_default()),
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    out.write_all(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beancount_names() {
        assert_eq!(
            beancount_account("payable:NQ68:842:tu-do"),
            "Liabilities:Payable:NQ68:842:Tu-do"
        );
        assert_eq!(beancount_account("fund:covid19"), "Assets:Fund:Covid19");
        assert_eq!(
            beancount_account("budget:_P1:842"),
            "Assets:Budget:X-P1:842"
        );
        assert_eq!(
            beancount_account("payable:P:842:-khac"),
            "Liabilities:Payable:P:842:X-khac"
        );
        assert_eq!(
            beancount_account("payable:P:842:tu_do"),
            beancount_account("payable:P:842:Tu-do")
        );
    }
}
