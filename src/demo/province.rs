//! Trà Vinh's nine districts with what the demo needs to know about them.

use super::dialect::{Dialect, DIALECTS};
use crate::domain::admin_units::{units, Commune};

struct DistrictFacts {
    code: &'static str,
    /// Population in thousands (2019 census, rounded): people are spread by it.
    population: u32,
    /// Share of Khmer residents, which shapes the names on the rolls.
    khmer_percent: u8,
    /// Share of the district's support beneficiaries under NQ116 (wage workers
    /// with unemployment insurance: more in the city and the industrial town).
    nq116_percent: u8,
}

const FACTS: [DistrictFacts; 9] = [
    DistrictFacts {
        code: "842",
        population: 112,
        khmer_percent: 18,
        nq116_percent: 24,
    },
    DistrictFacts {
        code: "844",
        population: 145,
        khmer_percent: 8,
        nq116_percent: 14,
    },
    DistrictFacts {
        code: "845",
        population: 112,
        khmer_percent: 30,
        nq116_percent: 12,
    },
    DistrictFacts {
        code: "846",
        population: 106,
        khmer_percent: 30,
        nq116_percent: 15,
    },
    DistrictFacts {
        code: "847",
        population: 140,
        khmer_percent: 35,
        nq116_percent: 13,
    },
    DistrictFacts {
        code: "848",
        population: 122,
        khmer_percent: 40,
        nq116_percent: 12,
    },
    DistrictFacts {
        code: "849",
        population: 170,
        khmer_percent: 60,
        nq116_percent: 10,
    },
    DistrictFacts {
        code: "850",
        population: 80,
        khmer_percent: 35,
        nq116_percent: 12,
    },
    DistrictFacts {
        code: "851",
        population: 47,
        khmer_percent: 15,
        nq116_percent: 22,
    },
];

pub struct District {
    pub code: &'static str,
    pub name: &'static str,
    pub communes: Vec<&'static Commune>,
    pub weight: u32,
    pub khmer_percent: u8,
    pub nq116_percent: u8,
    pub dialect: &'static Dialect,
}

pub struct Province {
    pub districts: Vec<District>,
}

impl Province {
    pub fn tra_vinh() -> Result<Province, String> {
        let all = units();
        let districts = FACTS
            .iter()
            .zip(DIALECTS.iter())
            .map(|(facts, dialect)| {
                let unit = all.district(facts.code).ok_or_else(|| {
                    format!("district {} is missing from the GSO list", facts.code)
                })?;
                let communes = all.communes_of(facts.code);
                if communes.is_empty() {
                    return Err(format!("district {} has no communes", facts.code));
                }
                Ok(District {
                    code: facts.code,
                    name: &unit.name,
                    communes,
                    weight: facts.population,
                    khmer_percent: facts.khmer_percent,
                    nq116_percent: facts.nq116_percent,
                    dialect,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Province { districts })
    }

    pub fn weights(&self) -> Vec<u32> {
        self.districts.iter().map(|d| d.weight).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts_are_tra_vinhs() {
        let province = Province::tra_vinh().unwrap();
        let codes: Vec<&str> = province.districts.iter().map(|d| d.code).collect();
        let official: Vec<&str> = units()
            .districts_of("84")
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, official);
        assert_eq!(
            province
                .districts
                .iter()
                .map(|d| d.communes.len())
                .sum::<usize>(),
            104
        );
    }
}
