//! What the district rolls contain, before any of it is written: who is
//! approved under which decision for how much. Amounts follow the legal levels
//! and a realistic mix of categories; the support total is then fitted to the
//! exact headline figure by moving whole people between two fixed categories.

use super::people::People;
use super::programs::{
    ymd, ProgramSpec, Rule, FOOD, FOOD_DAYS_MAX, FOOD_DAYS_MIN, FOOD_PER_DAY, NQ116, NQ68,
    NQ68_NGUNG_VIEC, NQ68_TU_DO, PROGRAMS,
};
use super::province::Province;
use super::rng::Rng;
use super::Targets;
use chrono::{Days, NaiveDate};

const SEED_ROLLS: u64 = 0x2021_0701_0068_0116;

/// Supplementary decisions of December 2021 (after the 25/11 report date).
const DECEMBER_WINDOW: (NaiveDate, NaiveDate) = (ymd(2021, 12, 1), ymd(2021, 12, 15));

/// Districts that send a supplementary December roll, per program (indices into the province).
const DECEMBER_DISTRICTS: [(usize, &[usize]); 3] = [
    (NQ68, &[0, 2, 4, 6, 8]),
    (NQ116, &[0, 3, 7]),
    (FOOD, &[1, 5, 6]),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Batch {
    /// The district's approvals up to the report date, with some damaged rows.
    Main,
    /// A clean supplementary roll decided in December 2021.
    December,
}

pub struct Decision {
    pub number: u32,
    pub date: NaiveDate,
}

/// District decisions are numbered `1234/QĐ-UBND` (Quyết định of the UBND).
pub fn push_decision_number(out: &mut String, number: u32) {
    super::people::push_fmt(out, format_args!("{number}/QĐ-UBND"));
}

#[derive(Clone, Copy)]
pub struct Grant {
    pub person: u32,
    pub category: u8,
    pub amount: i64,
    /// Index into the roll's decisions.
    pub decision: u8,
}

pub struct Roll {
    pub program: usize,
    pub district: usize,
    pub batch: Batch,
    pub decisions: Vec<Decision>,
    pub grants: Vec<Grant>,
}

impl Roll {
    pub fn spec(&self) -> &'static ProgramSpec {
        &PROGRAMS[self.program]
    }
}

pub fn build(
    targets: &Targets,
    province: &Province,
    people: &mut People,
) -> Result<Vec<Roll>, String> {
    let mut rng = Rng::new(SEED_ROLLS);
    let mut rolls = support_rolls(targets, province, &mut rng, people);
    fit_support_total(&mut rolls, targets.support_total)?;
    rolls.extend(food_rolls(targets, province, &mut rng, people)?);
    rolls.extend(december_rolls(targets, province, &mut rng, people));
    number_decisions(&mut rolls, &mut rng);
    Ok(rolls)
}

/// Splits `total` in proportion to `weights` (largest remainder), so the parts
/// always add up to `total` exactly.
pub fn split_by_weight(total: usize, weights: &[u32]) -> Vec<usize> {
    let sum: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let total64 = total as u64;
    let mut parts: Vec<usize> = weights
        .iter()
        .map(|w| (total64 * u64::from(*w) / sum) as usize)
        .collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest fractional part first; ties by position, so the result is fixed.
    order.sort_by_key(|&i| (std::cmp::Reverse(total64 * u64::from(weights[i]) % sum), i));
    let missing = total - parts.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        parts[i] += 1;
    }
    parts
}

fn support_rolls(
    targets: &Targets,
    province: &Province,
    rng: &mut Rng,
    people: &mut People,
) -> Vec<Roll> {
    let counts = split_by_weight(targets.support_rows, &province.weights());
    let mut rolls = Vec::new();
    for program in [NQ68, NQ116] {
        for (district, &count) in counts.iter().enumerate() {
            let nq116 =
                (count * usize::from(province.districts[district].nq116_percent) + 50) / 100;
            let count = if program == NQ68 {
                count - nq116
            } else {
                nq116
            };
            let amounts = draw_support(&PROGRAMS[program], count, rng);
            rolls.push(new_roll(
                program,
                district,
                Batch::Main,
                &amounts,
                rng,
                people,
            ));
        }
    }
    rolls
}

/// Categories by their share, amounts by the legal levels of the category.
fn draw_support(spec: &ProgramSpec, count: usize, rng: &mut Rng) -> Vec<(u8, i64)> {
    let weights = spec.category_weights();
    (0..count)
        .map(|_| {
            let category = rng.weighted(&weights);
            let levels = spec.categories[category].levels;
            let level_weights: Vec<u32> = levels.iter().map(|(_, w)| *w).collect();
            (category as u8, levels[rng.weighted(&level_weights)].0)
        })
        .collect()
}

fn new_roll(
    program: usize,
    district: usize,
    batch: Batch,
    amounts: &[(u8, i64)],
    rng: &mut Rng,
    people: &mut People,
) -> Roll {
    let spec = &PROGRAMS[program];
    let (window, count) = match batch {
        Batch::Main => (spec.decision_window, spec.decisions_per_roll),
        Batch::December => (DECEMBER_WINDOW, 1),
    };
    let decisions = decision_dates(window, count, rng)
        .into_iter()
        .map(|date| Decision { number: 0, date })
        .collect();
    let shares: Vec<u32> = (0..count).map(|_| rng.between(2, 6) as u32).collect();
    let per_decision = split_by_weight(amounts.len(), &shares);
    // Rows are listed decision by decision, as districts consolidate them.
    let decision_of_row = per_decision
        .iter()
        .enumerate()
        .flat_map(|(decision, &rows)| std::iter::repeat_n(decision as u8, rows));
    let grants = amounts
        .iter()
        .zip(decision_of_row)
        .map(|(&(category, amount), decision)| Grant {
            person: people.fresh(),
            category,
            amount,
            decision,
        })
        .collect();
    Roll {
        program,
        district,
        batch,
        decisions,
        grants,
    }
}

/// One date in each of `count` equal slices of the window: increasing, spread out.
fn decision_dates(window: (NaiveDate, NaiveDate), count: usize, rng: &mut Rng) -> Vec<NaiveDate> {
    let span = (window.1 - window.0).num_days().max(1) as u64;
    let slice = (span / count as u64).max(1);
    (0..count as u64)
        .map(|i| window.0 + Days::new(i * slice + rng.below(slice)))
        .collect()
}

/// Brings the main support rolls to `target` đồng exactly: first whole people
/// move between `tu-do` (1.500.000) and `ngung-viec` (1.000.000), then the last
/// few hundred thousand đồng go to one range-category amount that stays legal.
fn fit_support_total(rolls: &mut [Roll], target: i64) -> Result<(), String> {
    let is_main_support = |r: &Roll| r.batch == Batch::Main && r.spec().is_support();
    let sum: i64 = rolls
        .iter()
        .filter(|r| is_main_support(r))
        .flat_map(|r| &r.grants)
        .map(|g| g.amount)
        .sum();
    let mut gap = target - sum;
    let mut nq68: Vec<&mut Grant> = rolls
        .iter_mut()
        .filter(|r| r.program == NQ68 && r.batch == Batch::Main)
        .flat_map(|r| r.grants.iter_mut())
        .collect();
    move_between_fixed_categories(&mut nq68, &mut gap)?;
    if gap != 0 {
        absorb_in_range_category(rolls, gap)?;
    }
    Ok(())
}

fn move_between_fixed_categories(grants: &mut [&mut Grant], gap: &mut i64) -> Result<(), String> {
    const STEP: i64 = 500_000;
    let tu_do = 1_500_000;
    let ngung_viec = 1_000_000;
    let n = grants.len();
    // Visit in a scattered order so the changes spread over every district.
    let stride = coprime_stride(n);
    let mut visited = 0;
    while gap.abs() >= STEP {
        if visited == n {
            return Err(format!("cannot fit the support total: {gap} đồng left"));
        }
        let grant = &mut grants[(visited * stride) % n];
        visited += 1;
        if *gap > 0 && grant.category == NQ68_NGUNG_VIEC {
            (grant.category, grant.amount) = (NQ68_TU_DO, tu_do);
            *gap -= STEP;
        } else if *gap < 0 && grant.category == NQ68_TU_DO {
            (grant.category, grant.amount) = (NQ68_NGUNG_VIEC, ngung_viec);
            *gap += STEP;
        }
    }
    Ok(())
}

fn coprime_stride(n: usize) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    (7_919..).find(|&s| gcd(s, n.max(1)) == 1).unwrap_or(1)
}

fn absorb_in_range_category(rolls: &mut [Roll], gap: i64) -> Result<(), String> {
    // NQ116 first: its amounts vary with months of contribution anyway.
    for program in [NQ116, NQ68] {
        for roll in rolls
            .iter_mut()
            .filter(|r| r.program == program && r.batch == Batch::Main)
        {
            let categories = PROGRAMS[program].categories;
            for grant in &mut roll.grants {
                let rule = categories[usize::from(grant.category)].rule;
                if matches!(rule, Rule::Range(..)) && rule.allows(grant.amount + gap) {
                    grant.amount += gap;
                    return Ok(());
                }
            }
        }
    }
    Err(format!(
        "cannot fit the support total: no amount can take {gap} đồng"
    ))
}

fn food_rolls(
    targets: &Targets,
    province: &Province,
    rng: &mut Rng,
    people: &mut People,
) -> Result<Vec<Roll>, String> {
    if targets.food_total % FOOD_PER_DAY != 0 {
        return Err("the food-support total must be a whole number of days".into());
    }
    let days = food_days(targets.food_total / FOOD_PER_DAY, rng);
    let counts = split_by_weight(days.len(), &province.weights());
    let mut rest = days.as_slice();
    let mut rolls = Vec::new();
    for (district, count) in counts.into_iter().enumerate() {
        let (mine, others) = rest.split_at(count);
        rest = others;
        let amounts: Vec<(u8, i64)> = mine.iter().map(|&d| (0, d * FOOD_PER_DAY)).collect();
        rolls.push(new_roll(FOOD, district, Batch::Main, &amounts, rng, people));
    }
    Ok(rolls)
}

/// Quarantine lengths (7 to 28 days) adding up to exactly `total` person-days.
fn food_days(total: i64, rng: &mut Rng) -> Vec<i64> {
    let (min, max) = (i64::from(FOOD_DAYS_MIN), i64::from(FOOD_DAYS_MAX));
    let mut remaining = total;
    let mut days = Vec::new();
    // Invariant: `remaining` is 0 or at least `min`, so the last stay is legal too.
    while remaining >= min {
        let mut stay = draw_stay(rng);
        if remaining <= max {
            stay = remaining;
        } else if remaining - stay < min {
            stay = remaining - min;
        }
        days.push(stay);
        remaining -= stay;
    }
    days
}

fn draw_stay(rng: &mut Rng) -> i64 {
    // Half the returnees did the standard 7, 14 or 21 days.
    if rng.chance(500) {
        *rng.pick(&[7, 14, 21])
    } else {
        rng.between(u64::from(FOOD_DAYS_MIN), u64::from(FOOD_DAYS_MAX)) as i64
    }
}

fn december_rolls(
    targets: &Targets,
    province: &Province,
    rng: &mut Rng,
    people: &mut People,
) -> Vec<Roll> {
    let mut rolls = Vec::new();
    for (program, districts) in DECEMBER_DISTRICTS {
        let weights: Vec<u32> = districts
            .iter()
            .map(|&d| province.districts[d].weight)
            .collect();
        let counts = split_by_weight(targets.december_rows[program], &weights);
        for (&district, count) in districts.iter().zip(counts) {
            let amounts = if program == FOOD {
                (0..count)
                    .map(|_| (0, draw_stay(rng) * FOOD_PER_DAY))
                    .collect()
            } else {
                draw_support(&PROGRAMS[program], count, rng)
            };
            rolls.push(new_roll(
                program,
                district,
                Batch::December,
                &amounts,
                rng,
                people,
            ));
        }
    }
    rolls
}

/// Numbers each district's decisions in date order, inside a block of a thousand
/// numbers per district, so that every decision number in the demo is unique.
fn number_decisions(rolls: &mut [Roll], rng: &mut Rng) {
    let districts = rolls.iter().map(|r| r.district).max().map_or(0, |d| d + 1);
    for district in 0..districts {
        let mut order: Vec<(NaiveDate, usize, usize)> = rolls
            .iter()
            .enumerate()
            .filter(|(_, r)| r.district == district)
            .flat_map(|(ri, r)| {
                r.decisions
                    .iter()
                    .enumerate()
                    .map(move |(di, d)| (d.date, ri, di))
            })
            .collect();
        order.sort_unstable();
        let mut number = (district as u32 + 1) * 1_000 + rng.between(100, 300) as u32;
        for (_, ri, di) in order {
            rolls[ri].decisions[di].number = number;
            number += rng.between(4, 40) as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_exact_and_proportional() {
        assert_eq!(split_by_weight(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(split_by_weight(0, &[5, 7]), vec![0, 0]);
        let parts = split_by_weight(292_983, &[112, 145, 112, 106, 140, 122, 170, 80, 47]);
        assert_eq!(parts.iter().sum::<usize>(), 292_983);
    }

    #[test]
    fn food_days_hit_the_total() {
        let mut rng = Rng::new(1);
        for total in [7, 28, 29, 34, 35, 1_075, 107_500] {
            let days = food_days(total, &mut rng);
            assert_eq!(days.iter().sum::<i64>(), total);
            assert!(days.iter().all(|d| (7..=28).contains(d)), "{days:?}");
        }
    }
}
