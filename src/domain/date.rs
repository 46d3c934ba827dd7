//! Dates as the command line and the API take them.

use chrono::NaiveDate;

/// A date typed by a person: `YYYY-MM-DD`, or `dd/mm/yyyy` as officers write it.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| format!("'{text}' is not a date (YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::parse_date;
    use chrono::NaiveDate;

    #[test]
    fn iso_and_vietnamese_dates_parse_alike() {
        let day = NaiveDate::from_ymd_opt(2021, 11, 25);
        assert_eq!(parse_date("2021-11-25").ok(), day);
        assert_eq!(parse_date("25/11/2021").ok(), day);
        assert!(parse_date("11/25/2021").is_err());
        assert!(parse_date("2021-11-31").is_err());
    }
}
