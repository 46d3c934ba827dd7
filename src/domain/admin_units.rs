//! Vietnam's administrative units (GSO codes, as of 2021), embedded from the
//! public statistical list so that every commune and district check is real.

use std::collections::HashMap;
use std::sync::OnceLock;

const GSO_LIST_CSV: &str = include_str!("vn-admin-units-2021.csv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct District {
    pub code: String,
    pub name: String,
    pub province_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub district_code: String,
}

#[derive(Debug, Default)]
pub struct AdminUnits {
    provinces: HashMap<String, String>,
    districts: HashMap<String, District>,
    communes: HashMap<String, Commune>,
}

/// The embedded list, parsed once.
pub fn units() -> &'static AdminUnits {
    static UNITS: OnceLock<AdminUnits> = OnceLock::new();
    UNITS.get_or_init(|| AdminUnits::parse(GSO_LIST_CSV))
}

pub fn is_province_code(code: &str) -> bool {
    units().provinces.contains_key(code)
}

impl AdminUnits {
    fn parse(text: &str) -> AdminUnits {
        let mut all = AdminUnits::default();
        // The embedded file is ours and fixed: a malformed line is skipped, and the
        // unit test below asserts the counts the GSO list is known to have.
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let [province_code, province_name, district_code, district_name, commune_code, commune_name] =
                fields[..]
            else {
                continue;
            };
            all.provinces
                .entry(province_code.to_string())
                .or_insert_with(|| province_name.to_string());
            all.districts
                .entry(district_code.to_string())
                .or_insert_with(|| District {
                    code: district_code.to_string(),
                    name: district_name.to_string(),
                    province_code: province_code.to_string(),
                });
            all.communes.insert(
                commune_code.to_string(),
                Commune {
                    code: commune_code.to_string(),
                    name: commune_name.to_string(),
                    district_code: district_code.to_string(),
                },
            );
        }
        all
    }

    pub fn province_name(&self, code: &str) -> Option<&str> {
        self.provinces.get(code).map(String::as_str)
    }

    /// Every province code, sorted.
    pub fn province_codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.provinces.keys().map(String::as_str).collect();
        codes.sort_unstable();
        codes
    }

    pub fn communes_count(&self) -> usize {
        self.communes.len()
    }

    pub fn district(&self, code: &str) -> Option<&District> {
        self.districts.get(code)
    }

    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.communes.get(code)
    }

    /// Districts of a province, sorted by code.
    pub fn districts_of(&self, province_code: &str) -> Vec<&District> {
        let mut list: Vec<&District> = self
            .districts
            .values()
            .filter(|d| d.province_code == province_code)
            .collect();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        list
    }

    /// Communes of a district, sorted by code.
    pub fn communes_of(&self, district_code: &str) -> Vec<&Commune> {
        let mut list: Vec<&Commune> = self
            .communes
            .values()
            .filter(|c| c.district_code == district_code)
            .collect();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        list
    }
}

/// A district code checked against the GSO list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct DistrictCode(String);

impl DistrictCode {
    pub fn parse(text: &str) -> Result<DistrictCode, String> {
        let code = text.trim();
        let padded = format!("{code:0>3}");
        if units().district(&padded).is_some() {
            Ok(DistrictCode(padded))
        } else {
            Err(format!(
                "'{code}' is not a district code in the GSO list / không phải mã huyện"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DistrictCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_list_is_complete() {
        let all = units();
        assert_eq!(all.provinces.len(), 63);
        // 696 district-level units exist; five (island districts without communes) have no commune rows.
        assert_eq!(all.districts.len(), 691);
        assert_eq!(all.communes.len(), 10_051);
    }

    #[test]
    fn tra_vinh_has_nine_districts_and_104_communes() {
        let all = units();
        assert_eq!(all.province_name("84"), Some("Tỉnh Trà Vinh"));
        let districts = all.districts_of("84");
        let codes: Vec<&str> = districts.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            ["842", "844", "845", "846", "847", "848", "849", "850", "851"]
        );
        let communes: usize = districts
            .iter()
            .map(|d| all.communes_of(&d.code).len())
            .sum();
        assert_eq!(communes, 104);
    }

    #[test]
    fn district_codes_parse() {
        assert_eq!(DistrictCode::parse("842").unwrap().as_str(), "842");
        assert!(DistrictCode::parse("999").is_err());
    }
}
