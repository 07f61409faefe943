//! Demurrage: the holding fee by which idle balances melt.
//!
//! # The formula
//!
//! A rule says "rate `r` per period `P`, compounded every step `s`", with
//! `n = P / s` steps per period (the file loader checks that `s` divides
//! `P`). Each step keeps the fraction `f = 1 - r / n` of the part of a
//! balance above the free allowance `A`. After `k` steps a balance `b > A`
//! becomes
//!
//! ```text
//! A + round((b - A) * f^k)
//! ```
//!
//! and a balance at or below `A`, or negative (mutual credit), does not
//! change. This is the usual meaning of "compounded": 7% per year compounded
//! daily melts `1 - (1 - 0.07/365)^365`, about 6.76%, over a whole year;
//! choose the step `period` to melt exactly `r` each period.
//!
//! Steps are counted on a grid anchored at the Unix epoch: from `t0` to `t1`
//! there are `floor(t1 / s) - floor(t0 / s)` steps. Counting this way, the
//! steps of `t0..t1` and `t1..t2` add up to exactly those of `t0..t2`.
//!
//! # Exactness and rounding
//!
//! `f^k` is computed in `rust_decimal` (28 significant digits) as a
//! product of precomputed `f^(2^i)`, always in the same order, so every
//! machine gets the same bits. A factor smaller than 10^-28 counts as zero:
//! everything above the allowance has melted by then. The new balance is
//! rounded to whole minor units once, by the rule's [`MeltRounding`] (down
//! by default), and the melted amount is exactly the old balance minus the
//! new one, so nothing is created or lost: the ledger credits it to the
//! destination account or records it as burned.
//!
//! # Does it matter how often an account is touched?
//!
//! A little. The ledger melts an account lazily, whenever it is touched, and
//! each touch rounds to a whole minor unit. Melting `b` over `k1` steps and
//! then over `k2` steps can therefore differ from melting it over `k1 + k2`
//! steps in one go, by less than one minor unit per intermediate touch (and
//! with rounding down, the account touched more often never ends higher,
//! except by noise in the 28th significant digit). The property tests check
//! `|split - direct| <= touches` for balances up to 10^18 minor units.
//!
//! # Speed
//!
//! A ledger melts both sides of every payment, so this is on the hot path.
//! Two things keep it cheap without changing a single result:
//!
//! - `f^k` for the first [`CACHED_STEPS`] step counts (most touches are a
//!   few days apart) is computed once, by the same product of powers in the
//!   same order as for any other `k`, and looked up afterwards;
//! - the final rounding to whole minor units is integer division of the
//!   product's mantissa by its power of ten, which is by definition what
//!   rounding the decimal towards zero (or to nearest, halves away from
//!   zero) gives, without `rust_decimal`'s general rescaling.

use opencoin_core::spec::{DemurrageSpec, MeltDestination, MeltRounding};
use opencoin_core::{Amount, SpecError, Timestamp};
use rust_decimal::{Decimal, RoundingStrategy};

/// Powers `f^(2^i)` kept for `i` in `0..POWERS`, enough for any `u64` count
/// of steps.
const POWERS: usize = 64;

/// Step counts whose factor is kept ready: `f^k` for `k` below this is a
/// lookup. 1,024 factors take 16 KiB and cover almost three years of daily
/// steps, or about 17 hours of steps of a minute.
pub const CACHED_STEPS: usize = 1_024;

/// Powers of ten up to 10^28, the largest scale of a `Decimal`.
const POWERS_OF_TEN: [u128; 29] = {
    let mut powers = [1_u128; 29];
    let mut index = 1;
    while index < powers.len() {
        powers[index] = powers[index - 1] * 10;
        index += 1;
    }
    powers
};

/// A demurrage rule ready to apply.
#[derive(Debug, Clone)]
pub struct Demurrage {
    step_seconds: u64,
    per_step_factor: Decimal,
    factor_powers: [Decimal; POWERS],
    /// `f^k` for `k` in `0..CACHED_STEPS`, each equal to what
    /// [`Demurrage::factor_from_powers`] computes.
    cached_factors: Box<[Decimal]>,
    free_allowance: i128,
    rounding: MeltRounding,
    destination: MeltDestination,
}

/// The result of melting a balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Melt {
    /// The balance after melting, in minor units.
    pub balance: i128,
    /// How much melted, in minor units; never negative.
    pub melted: i128,
}

impl Demurrage {
    /// Prepares a demurrage rule whose amounts have `decimals` decimals.
    ///
    /// # Errors
    ///
    /// [`SpecError`] at `{path}.rate` if the rate is so small for the number
    /// of steps per period that the per-step fraction `r / n` rounds to
    /// zero in 28 digits (for example 10^-28 per year, compounded every
    /// minute): such a rule would never melt anything.
    pub fn compile(path: &str, spec: &DemurrageSpec) -> Result<Demurrage, SpecError> {
        let invalid = || {
            SpecError::new(
                format!("{path}.rate"),
                format!("{} is too small to melt anything when compounded per step", spec.rate),
            )
        };
        let steps_per_period = spec.period.seconds() / spec.step.seconds();
        if steps_per_period == 0 || !spec.period.seconds().is_multiple_of(spec.step.seconds()) {
            return Err(SpecError::new(
                format!("{path}.step"),
                format!("a step of {} does not divide the period {}", spec.step, spec.period),
            ));
        }
        let per_step_rate =
            spec.rate.checked_div(Decimal::from(steps_per_period)).ok_or_else(invalid)?;
        let per_step_factor = Decimal::ONE.checked_sub(per_step_rate).ok_or_else(invalid)?;
        if per_step_factor <= Decimal::ZERO || per_step_factor >= Decimal::ONE {
            return Err(invalid());
        }

        let mut factor_powers = [Decimal::ZERO; POWERS];
        let mut power = per_step_factor;
        for slot in &mut factor_powers {
            *slot = power;
            // Squaring a number below one cannot overflow; it can only round
            // towards zero, which is where the true value is heading anyway.
            power = power.checked_mul(power).unwrap_or(Decimal::ZERO);
        }

        let mut demurrage = Demurrage {
            step_seconds: spec.step.seconds(),
            per_step_factor,
            factor_powers,
            cached_factors: Box::default(),
            free_allowance: spec.free_allowance.minor_units(),
            rounding: spec.rounding,
            destination: spec.destination,
        };
        demurrage.cached_factors =
            (0..CACHED_STEPS as u64).map(|steps| demurrage.factor_from_powers(steps)).collect();
        Ok(demurrage)
    }

    /// Where melted value goes.
    pub fn destination(&self) -> MeltDestination {
        self.destination
    }

    /// The fraction of the excess kept per step, `1 - r / n`.
    pub fn per_step_factor(&self) -> Decimal {
        self.per_step_factor
    }

    /// The free allowance in minor units.
    pub fn free_allowance(&self) -> i128 {
        self.free_allowance
    }

    /// Number of compounding steps from `from` to `to` on the epoch-anchored
    /// grid; zero if `to` is not later.
    pub fn steps_between(&self, from: Timestamp, to: Timestamp) -> u64 {
        (to.seconds() / self.step_seconds).saturating_sub(from.seconds() / self.step_seconds)
    }

    /// The factor `f^steps`.
    pub fn factor(&self, steps: u64) -> Decimal {
        let cached = usize::try_from(steps).ok().and_then(|steps| self.cached_factors.get(steps));
        match cached {
            Some(factor) => *factor,
            None => self.factor_from_powers(steps),
        }
    }

    /// `f^steps` as the product of the precomputed `f^(2^i)` for the set
    /// bits of `steps`, lowest bit first: the one definition of the factor.
    fn factor_from_powers(&self, steps: u64) -> Decimal {
        let mut factor = Decimal::ONE;
        for (bit, power) in self.factor_powers.iter().enumerate() {
            if steps & (1_u64 << bit) != 0 {
                factor = factor.checked_mul(*power).unwrap_or(Decimal::ZERO);
            }
        }
        factor
    }

    /// Melts `balance` (minor units) from `from` to `to`.
    pub fn melt(&self, balance: i128, from: Timestamp, to: Timestamp) -> Melt {
        self.melt_steps(balance, self.steps_between(from, to))
    }

    /// Melts `balance` (minor units) over `steps` steps.
    pub fn melt_steps(&self, balance: i128, steps: u64) -> Melt {
        let unchanged = Melt { balance, melted: 0 };
        if steps == 0 || balance <= self.free_allowance {
            return unchanged;
        }

        // The excess is below 2 * 10^28 and the ledger keeps balances within
        // 10^28 - 1, so it fits a Decimal; if it ever did not, not melting is
        // the conservative answer.
        let excess = balance - self.free_allowance;
        let Ok(excess_decimal) = Decimal::try_from_i128_with_scale(excess, 0) else {
            return unchanged;
        };
        let kept = excess_decimal.checked_mul(self.factor(steps)).unwrap_or(Decimal::ZERO);
        let kept = round_to_whole(kept, self.rounding).clamp(0, excess);

        let new_balance = self.free_allowance + kept;
        debug_assert!(new_balance <= balance);
        Melt { balance: new_balance, melted: balance - new_balance }
    }

    /// Melts an [`Amount`] from `from` to `to`, returning the new balance and
    /// the melted amount in the same decimals.
    pub fn melt_amount(&self, balance: Amount, from: Timestamp, to: Timestamp) -> (Amount, Amount) {
        let melt = self.melt(balance.minor_units(), from, to);
        let decimals = balance.decimals();
        // Both results lie between zero and the original balance, so they
        // are valid amounts whenever the balance is.
        let new_balance = Amount::from_minor_units(melt.balance, decimals).unwrap_or(balance);
        let melted = Amount::from_minor_units(melt.melted, decimals).unwrap_or(balance);
        (new_balance, melted)
    }
}

/// Rounds a non-negative decimal to a whole number, towards zero or to
/// nearest with halves away from zero: the quotient of its mantissa by
/// 10^scale, plus one when the remainder is at least half of 10^scale.
/// Equal by definition to `round_dp_with_strategy(0, ..)` with `ToZero` or
/// `MidpointAwayFromZero` (checked against it in the tests), at the cost
/// of one integer division.
fn round_to_whole(value: Decimal, rounding: MeltRounding) -> i128 {
    let mantissa = value.mantissa().unsigned_abs();
    let Some(&divisor) = POWERS_OF_TEN.get(value.scale() as usize) else {
        // A Decimal's scale never exceeds 28; fall back to the general
        // rounding if that ever changed.
        return round_with_rust_decimal(value, rounding);
    };
    let (quotient, remainder) = (mantissa / divisor, mantissa % divisor);
    let up = rounding == MeltRounding::Nearest && remainder >= divisor - remainder;
    let whole = i128::try_from(quotient + u128::from(up)).unwrap_or(i128::MAX);
    if value.is_sign_negative() { -whole } else { whole }
}

/// The general rounding, kept as the reference for [`round_to_whole`].
fn round_with_rust_decimal(value: Decimal, rounding: MeltRounding) -> i128 {
    let strategy = match rounding {
        MeltRounding::Down => RoundingStrategy::ToZero,
        MeltRounding::Nearest => RoundingStrategy::MidpointAwayFromZero,
    };
    let mut rounded = value.round_dp_with_strategy(0, strategy);
    rounded.rescale(0);
    rounded.mantissa()
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencoin_core::Period;

    fn rule(
        rate: &str,
        period: &str,
        step: &str,
        allowance: i128,
        rounding: MeltRounding,
    ) -> Demurrage {
        let spec = DemurrageSpec {
            rate: rate.parse().unwrap(),
            period: Period::parse(period).unwrap(),
            step: Period::parse(step).unwrap(),
            free_allowance: Amount::from_minor_units(allowance, 2).unwrap(),
            rounding,
            destination: MeltDestination::Burn,
        };
        Demurrage::compile("rules[0]", &spec).unwrap()
    }

    #[test]
    fn seven_percent_a_year_compounded_daily() {
        // 1000.00 at 7% per year compounded daily for 365 days:
        // 1000 * (1 - 0.07/365)^365 = 932.387560592805... (Python's decimal
        // module at 50 digits), so rounding down keeps 932.38.
        let demurrage = rule("0.07", "1y", "1d", 0, MeltRounding::Down);
        let melt = demurrage.melt_steps(100_000, 365);
        assert_eq!(melt.balance, 93_238);
        assert_eq!(melt.melted, 100_000 - 93_238);
    }

    #[test]
    fn whole_period_step_melts_exactly_the_rate() {
        // 2% per 90 days with the step equal to the period: 1000.00 keeps
        // exactly 98%, 980.00, after one period and 960.40 after two.
        let demurrage = rule("0.02", "90d", "90d", 0, MeltRounding::Down);
        assert_eq!(demurrage.melt_steps(100_000, 1).balance, 98_000);
        assert_eq!(demurrage.melt_steps(100_000, 2).balance, 96_040);
    }

    #[test]
    fn allowance_never_melts() {
        // With a 50.00 allowance, 150.00 melts only on its 100.00 excess:
        // one whole-period step at 10% leaves 50.00 + 90.00 = 140.00.
        let demurrage = rule("0.1", "30d", "30d", 5_000, MeltRounding::Down);
        assert_eq!(demurrage.melt_steps(15_000, 1).balance, 14_000);
        assert_eq!(demurrage.melt_steps(5_000, 1000).balance, 5_000);
        assert_eq!(demurrage.melt_steps(-7_000, 1000).balance, -7_000);
    }

    #[test]
    fn rounding_direction() {
        // 0.05 (5 minor units) at 10% per step keeps 4.5 units: down gives 4,
        // nearest (halves away from zero) gives 5.
        let down = rule("0.1", "1d", "1d", 0, MeltRounding::Down);
        let nearest = rule("0.1", "1d", "1d", 0, MeltRounding::Nearest);
        assert_eq!(down.melt_steps(5, 1).balance, 4);
        assert_eq!(nearest.melt_steps(5, 1).balance, 5);
    }

    #[test]
    fn grid_steps_add_up() {
        let demurrage = rule("0.02", "90d", "1d", 0, MeltRounding::Down);
        let day = 86_400;
        // From 23:00 on day 0 to 01:00 on day 1 crosses one midnight.
        assert_eq!(demurrage.steps_between(Timestamp(day - 3_600), Timestamp(day + 3_600)), 1);
        assert_eq!(demurrage.steps_between(Timestamp(5 * day), Timestamp(2 * day)), 0);
    }

    #[test]
    fn cached_factors_equal_the_product_of_powers() {
        // Every cached factor, and the first ones past the cache, must be
        // bit for bit what the product of powers gives.
        let demurrage = rule("0.02", "90d", "1d", 0, MeltRounding::Down);
        for steps in 0..(CACHED_STEPS as u64 + 8) {
            let factor = demurrage.factor(steps);
            let reference = demurrage.factor_from_powers(steps);
            assert_eq!(factor, reference, "steps {steps}");
            assert_eq!(factor.scale(), reference.scale(), "steps {steps}");
        }
        // f^0 is one, f^1 is 1 - 0.02/90.
        assert_eq!(demurrage.factor(0), Decimal::ONE);
        assert_eq!(demurrage.factor(1), demurrage.per_step_factor());
    }

    #[test]
    fn integer_rounding_equals_rust_decimal_rounding() {
        // Values around every kind of boundary: exact integers, halves,
        // just below and above halves, at several scales, and products of
        // real factors with large excesses.
        let mut values: Vec<Decimal> = [
            "0",
            "1",
            "4.5",
            "4.4999999999",
            "4.5000000001",
            "5.5",
            "0.5",
            "0.4999",
            "123456789.999999999999999999",
            "79228162514264337593543950335",
            "7.9228162514264337593543950335",
            "0.0000000000000000000000000001",
        ]
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
        let demurrage = rule("0.07", "1y", "1d", 0, MeltRounding::Down);
        for excess in [1_i128, 5, 99, 12_345, 10_i128.pow(18), 10_i128.pow(27)] {
            for steps in [1, 2, 3, 90, 365, 1_000, 5_000] {
                let excess = Decimal::try_from_i128_with_scale(excess, 0).unwrap();
                values.push(excess.checked_mul(demurrage.factor(steps)).unwrap());
            }
        }
        for value in values {
            for rounding in [MeltRounding::Down, MeltRounding::Nearest] {
                assert_eq!(
                    round_to_whole(value, rounding),
                    round_with_rust_decimal(value, rounding),
                    "{value} rounded {rounding:?}"
                );
            }
        }
    }

    proptest::proptest! {
        /// Any non-negative decimal (any 96-bit mantissa, any scale) rounds
        /// the same through the integer path as through rust_decimal.
        #[test]
        fn integer_rounding_equals_rust_decimal_on_any_decimal(
            low in proptest::prelude::any::<u64>(),
            high in 0_u32..=u32::MAX,
            scale in 0_u32..=28,
        ) {
            let mantissa = i128::from(low) | (i128::from(high) << 64);
            let value = Decimal::from_i128_with_scale(mantissa, scale);
            for rounding in [MeltRounding::Down, MeltRounding::Nearest] {
                proptest::prop_assert_eq!(
                    round_to_whole(value, rounding),
                    round_with_rust_decimal(value, rounding)
                );
            }
        }
    }

    #[test]
    fn a_step_that_does_not_divide_the_period_is_refused() {
        // Built in code, past the file loader's own check: a one-day step in
        // a twelve-hour period, and a 7-day step in a 30-day period.
        for (period, step) in [("12h", "1d"), ("30d", "7d")] {
            let spec = DemurrageSpec {
                rate: "0.02".parse().unwrap(),
                period: Period::parse(period).unwrap(),
                step: Period::parse(step).unwrap(),
                free_allowance: Amount::from_minor_units(0, 2).unwrap(),
                rounding: MeltRounding::Down,
                destination: MeltDestination::Burn,
            };
            let error = Demurrage::compile("rules[3]", &spec).unwrap_err();
            assert_eq!(error.path, "rules[3].step", "{period} / {step}");
        }
    }

    #[test]
    fn far_future_melts_everything_above_allowance() {
        let demurrage = rule("0.5", "1d", "1d", 100, MeltRounding::Down);
        assert_eq!(demurrage.melt_steps(1_000_000, u64::MAX).balance, 100);
    }
}
