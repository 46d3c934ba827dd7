//! A ledger's code: the province whose journal it is. One database can hold
//! a ledger per province, each with its own hash chain, append lock,
//! verification, read models and users (`ansinh --ledger CODE`).

use super::admin_units;

/// A province code of the 2021 list (`84` is Trà Vinh), parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LedgerCode(String);

impl LedgerCode {
    pub fn parse(text: &str) -> Result<LedgerCode, String> {
        let code = text.trim();
        let digits = code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit());
        if !digits || !admin_units::is_province_code(code) {
            return Err(format!(
                "ledger '{text}' is not a province code: a ledger is a province's, named by its \
                 two-digit code in the 2021 list of administrative units (84 is Trà Vinh)"
            ));
        }
        Ok(LedgerCode(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Refuses a district that is not in this ledger's province.
    pub fn check_district(&self, district: &str) -> Result<(), String> {
        let province = admin_units::units()
            .district(district)
            .map(|d| d.province_code.as_str());
        match province {
            Some(province) if province == self.0 => Ok(()),
            Some(province) => Err(format!(
                "district {district} is in province {province}, not in this ledger's province {}",
                self.0
            )),
            None => Err(format!("district {district} is not in the 2021 list")),
        }
    }

    /// The PostgreSQL schema that holds this ledger's tables. Safe to put in
    /// SQL text: two ASCII digits after a fixed prefix.
    pub fn schema(&self) -> String {
        format!("ledger_{}", self.0)
    }

    /// The code of a schema named by [`LedgerCode::schema`].
    pub fn from_schema(schema: &str) -> Option<LedgerCode> {
        LedgerCode::parse(schema.strip_prefix("ledger_")?).ok()
    }
}

impl std::fmt::Display for LedgerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for LedgerCode {
    type Err = String;
    fn from_str(text: &str) -> Result<LedgerCode, String> {
        LedgerCode::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::LedgerCode;

    #[test]
    fn a_ledger_is_named_by_a_real_province_code() {
        assert_eq!(LedgerCode::parse("84").unwrap().schema(), "ledger_84");
        assert_eq!(LedgerCode::parse("01").unwrap().as_str(), "01");
        for refused in ["", "8", "99", "084", "8a", "84; DROP", "ledger_84"] {
            let error = LedgerCode::parse(refused).unwrap_err();
            assert!(error.contains("province code"), "{refused}: {error}");
        }
        assert_eq!(
            LedgerCode::from_schema("ledger_79").map(|c| c.to_string()),
            Some("79".to_string())
        );
        assert_eq!(LedgerCode::from_schema("public"), None);
    }
}
