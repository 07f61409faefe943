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
//! with `step = "period"`, the file's default, exactly `r` melts each period.
//!
//! Steps are counted on a grid anchored at the Unix epoch: from `t0` to `t1`
//! there are `floor(t1 / s) - floor(t0 / s)` steps. Counting this way, the
//! steps of `t0..t1` and `t1..t2` add up to exactly those of `t0..t2`.
//!
//! # Exactness and rounding
//!
//! `f^k` is computed in `rust_decimal` as a product of precomputed
//! `f^(2^i)`, always in the same order, so every machine gets the same bits.
//! Each multiplication rounds to 28 decimal places and each squaring doubles
//! the error carried in, so the factor is within `k * 10^-28` of the true
//! `f^k` (a year of daily steps: within 4 * 10^-26). A factor that falls
//! below half of 10^-28 becomes zero, which changes no result: times any
//! amount (below 10^28 minor units) it would keep less than half a unit.
//!
//! Writing the factor as its mantissa over a power of ten, `m / 10^s`, the
//! kept excess is
//!
//! ```text
//! floor(excess * m / 10^s)                           (rounding down)
//! floor(excess * m / 10^s + 1/2)                     (to nearest, halves up)
//! ```
//!
//! the exact product of the whole excess and the factor, rounded once by the
//! rule's [`MeltRounding`] (down by default). It is computed in integers,
//! not by a `Decimal` multiplication, which would first round the product to
//! 28 digits and so round twice. The melted amount is exactly the old
//! balance minus the new one, so nothing is created or lost: the ledger
//! credits it to the destination account or records it as burned.
//!
//! # Does it matter how often an account is touched?
//!
//! A little. The ledger melts an account lazily, whenever it is touched, and
//! each touch rounds to a whole minor unit. Melting `b` over `k1` steps and
//! then over `k2` steps can therefore differ from melting it over `k1 + k2`
//! steps in one go, by at most one minor unit per intermediate touch (and
//! with rounding down, the account touched more often never ends higher,
//! unless the factors' rounding noise, above, tips a product that lies a
//! hair below a whole unit). The property tests check
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
//! - each cached factor also keeps its binary fixed-point form
//!   `F = floor(f^k * 2^128)`, and the kept excess is read off the 256-bit
//!   product `excess * F` (plus `2^127` when rounding to nearest) as its
//!   top 128 bits: four 64-bit multiplications and no division. `F` is
//!   short of the exact `f^k * 2^128` by less than one, so that product is
//!   short of the exact one by less than `excess` units in its low 128
//!   bits. When those low bits are at least `excess` below `2^128`, the
//!   shortfall cannot carry into the top bits, and they are the exact
//!   answer.
//!
//! Otherwise the exact product lies within `excess * 2^-128` of a rounding
//! boundary: a whole number, or a half when rounding to nearest. A random
//! balance lands there with odds of about `excess / 2^128`; a product that
//! is exactly on a boundary nearly always does, unless the factor is exact
//! in binary (0.5, 0.25). Then, and for factors outside the cache,
//! `excess * m` is divided by `10^s` exactly, as a 256-bit number in four
//! 64-bit limbs, in at most two long divisions by powers of ten below 2^64.

use opencoin_core::spec::{DemurrageSpec, MeltDestination, MeltRounding};
use opencoin_core::{Amount, SpecError, Timestamp};
use rust_decimal::Decimal;

/// Powers `f^(2^i)` kept for `i` in `0..POWERS`, enough for any `u64` count
/// of steps.
const POWERS: usize = 64;

/// Step counts whose factor is kept ready: `f^k` for `k` below this is a
/// lookup. 1,024 factors, each with its fixed-point form, take 48 KiB and
/// cover almost three years of daily steps, or about 17 hours of steps of a
/// minute.
pub const CACHED_STEPS: usize = 1_024;

/// The largest scale of a `Decimal`: factors are `m / 10^s` with `s` at
/// most this.
const SCALE_MAX: usize = Decimal::MAX_SCALE as usize;

/// The largest number of decimal digits a division by a power of ten that
/// fits 64 bits can take at once: 10^19 < 2^64 < 10^20.
const DIGITS_PER_DIVISION: usize = 19;

/// Powers of ten up to 10^28, the largest scale of a `Decimal`.
const POWERS_OF_TEN: [u128; SCALE_MAX + 1] = {
    let mut powers = [1_u128; SCALE_MAX + 1];
    let mut index = 1;
    while index < powers.len() {
        powers[index] = powers[index - 1] * 10;
        index += 1;
    }
    powers
};

// A factor's scale is split into at most two divisions by powers of ten
// that fit 64 bits.
const _: () = assert!(SCALE_MAX <= 2 * DIGITS_PER_DIVISION);
const _: () = assert!(POWERS_OF_TEN[DIGITS_PER_DIVISION] <= u64::MAX as u128);

/// A cached factor `f^k` in the two forms the melt uses.
#[derive(Debug, Clone, Copy)]
struct CachedFactor {
    /// `f^k` as [`Demurrage::factor_from_powers`] computes it: the
    /// definition.
    decimal: Decimal,
    /// `floor(f^k * 2^128)`, when `f^k` is below one (every `k` but zero).
    fixed_point: Option<u128>,
}

/// A demurrage rule ready to apply.
#[derive(Debug, Clone)]
pub struct Demurrage {
    step_seconds: u64,
    /// `f^(2^i)` at index `i`; `f` itself at index 0.
    factor_powers: [Decimal; POWERS],
    /// `f^k` for `k` in `0..CACHED_STEPS`, each equal to what
    /// [`Demurrage::factor_from_powers`] computes.
    cached_factors: Box<[CachedFactor]>,
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
    /// Prepares a demurrage rule; `path`, such as `rules[2]`, is where the
    /// rule sits in its file, for errors.
    ///
    /// # Errors
    ///
    /// [`SpecError`] at `{path}.step` if the step does not divide the
    /// period. [`SpecError`] at `{path}.rate` if the rate is so small for the
    /// number of steps per period that the per-step fraction `r / n` rounds
    /// to zero in 28 decimal places (for example 10^-28 per year, compounded
    /// every minute): such a rule would never melt anything. Also at
    /// `{path}.rate` for a rate that a spec built in code, past the file
    /// loader's checks, makes so large that one step melts everything.
    pub fn compile(path: &str, spec: &DemurrageSpec) -> Result<Demurrage, SpecError> {
        let too_small = || {
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
            spec.rate.checked_div(Decimal::from(steps_per_period)).ok_or_else(too_small)?;
        let per_step_factor = Decimal::ONE.checked_sub(per_step_rate).ok_or_else(too_small)?;
        if per_step_factor >= Decimal::ONE {
            return Err(too_small());
        }
        if per_step_factor <= Decimal::ZERO {
            return Err(SpecError::new(
                format!("{path}.rate"),
                format!("{} per {} melts everything within one step", spec.rate, spec.period),
            ));
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
            factor_powers,
            cached_factors: Box::default(),
            free_allowance: spec.free_allowance.minor_units(),
            rounding: spec.rounding,
            destination: spec.destination,
        };
        demurrage.cached_factors = (0..CACHED_STEPS as u64)
            .map(|steps| {
                let decimal = demurrage.factor_from_powers(steps);
                CachedFactor { decimal, fixed_point: fixed_point(decimal) }
            })
            .collect();
        Ok(demurrage)
    }

    /// Where melted value goes.
    pub fn destination(&self) -> MeltDestination {
        self.destination
    }

    /// The fraction of the excess kept per step, `1 - r / n`.
    pub fn per_step_factor(&self) -> Decimal {
        self.factor_powers[0]
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
        self.cached(steps).map_or_else(|| self.factor_from_powers(steps), |cached| cached.decimal)
    }

    /// The cached factor for `steps`, if `steps` is below [`CACHED_STEPS`].
    fn cached(&self, steps: u64) -> Option<&CachedFactor> {
        usize::try_from(steps).ok().and_then(|steps| self.cached_factors.get(steps))
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
        // Only an allowance built in code, below zero, could make this
        // overflow; not melting is the conservative answer then.
        let Some(excess) = balance.checked_sub(self.free_allowance) else {
            return unchanged;
        };

        // The fixed point decides nearly every cached step count; exact
        // division decides the rest, and every count past the cache.
        let unsigned_excess = excess.unsigned_abs();
        let fixed_point = self.cached(steps).and_then(|cached| cached.fixed_point);
        let kept = fixed_point
            .and_then(|fixed_point| {
                kept_by_fixed_point(unsigned_excess, fixed_point, self.rounding)
            })
            .unwrap_or_else(|| kept_exactly(unsigned_excess, self.factor(steps), self.rounding));
        let kept = i128::try_from(kept).unwrap_or(i128::MAX).clamp(0, excess);

        Melt { balance: self.free_allowance + kept, melted: excess - kept }
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

/// `floor(factor * 2^128)` for a factor `m / 10^s` in `[0, 1)`: the
/// 256-bit `m * 2^128` divided by `10^s`; `None` for a factor that is
/// negative, at least one, or (impossibly) of a scale above 28.
fn fixed_point(factor: Decimal) -> Option<u128> {
    let mantissa = u128::try_from(factor.mantissa()).ok()?;
    let scale = factor.scale() as usize;
    let divisor = *POWERS_OF_TEN.get(scale)?;
    if mantissa >= divisor {
        return None;
    }

    // With `m` below `10^s`, the quotient is below 2^128: its high half is
    // zero.
    let ((_, quotient), _) = divide_by_power_of_ten((mantissa, 0), scale);
    Some(quotient)
}

/// The kept excess from a factor's fixed-point form `fixed_point =
/// floor(f^k * 2^128)` (see the module's `# Speed`), or `None` when the
/// product lies too close below a rounding boundary for the fixed point to
/// decide, and the caller must use [`kept_exactly`].
fn kept_by_fixed_point(excess: u128, fixed_point: u128, rounding: MeltRounding) -> Option<u128> {
    let (whole, fraction) = multiply_wide(excess, fixed_point);

    // Rounding to nearest with halves away from zero is, for a value that
    // is not negative, flooring after adding one half.
    let half = match rounding {
        MeltRounding::Down => 0,
        MeltRounding::Nearest => 1 << 127,
    };
    let (fraction, carry) = fraction.overflowing_add(half);
    // For an excess below 2^127, as from any `i128`, the whole part is
    // below 2^127 and this cannot overflow.
    let whole = whole.checked_add(u128::from(carry))?;

    // The exact product is `excess * fixed_point` plus less than `excess`
    // units of 2^-128 (the fixed point is short by less than one). If that
    // many units fit above `fraction` without reaching 2^128, the exact
    // product has the same whole part.
    let room_below_next_whole = u128::MAX - fraction;
    (room_below_next_whole >= excess.saturating_sub(1)).then_some(whole)
}

/// The kept excess `excess * m / 10^s` for `factor = m / 10^s`, rounded
/// once by `rounding`, computed exactly: the 256-bit product divided by
/// `10^s`. Saturates at `u128::MAX` for a quotient that does not fit, which
/// only a factor above one could give. Factors are never negative; the
/// mantissa's sign is ignored. A factor of a scale above 28, which
/// `rust_decimal` never produces, keeps the whole excess.
fn kept_exactly(excess: u128, factor: Decimal, rounding: MeltRounding) -> u128 {
    let scale = factor.scale() as usize;
    let Some(&divisor) = POWERS_OF_TEN.get(scale) else {
        return excess;
    };

    let product = multiply_wide(excess, factor.mantissa().unsigned_abs());
    let ((quotient_high, quotient), remainder) = divide_by_power_of_ten(product, scale);

    let quotient = if quotient_high == 0 { quotient } else { u128::MAX };
    let up = rounding == MeltRounding::Nearest && remainder >= divisor - remainder;
    quotient.saturating_add(u128::from(up))
}

/// The 256-bit `(high, low)` divided by `10^scale`, for a scale of at most
/// 28 (the callers check it): the quotient as `(high, low)` and the
/// remainder.
fn divide_by_power_of_ten((high, low): (u128, u128), scale: usize) -> ((u128, u128), u128) {
    // Least significant limb first; the casts keep the low 64 bits.
    let mut limbs = [low as u64, (low >> 64) as u64, high as u64, (high >> 64) as u64];

    // 10^s = first * second with both factors below 2^64. Dividing by one
    // and then the other floors like dividing by their product, and the
    // remainders combine as `second_remainder * first + first_remainder`.
    let first_digits = scale.min(DIGITS_PER_DIVISION);
    let first = POWERS_OF_TEN[first_digits] as u64;
    let second = POWERS_OF_TEN[scale - first_digits] as u64;
    let first_remainder = divide_limbs(&mut limbs, first);
    let second_remainder = divide_limbs(&mut limbs, second);
    let remainder = u128::from(second_remainder) * u128::from(first) + u128::from(first_remainder);

    let [limb_0, limb_1, limb_2, limb_3] = limbs.map(u128::from);
    (((limb_3 << 64) | limb_2, (limb_1 << 64) | limb_0), remainder)
}

/// The full product `a * b` as `(high, low)` 128-bit halves.
fn multiply_wide(a: u128, b: u128) -> (u128, u128) {
    const LOW_64: u128 = u64::MAX as u128;
    let (a_low, a_high) = (a & LOW_64, a >> 64);
    let (b_low, b_high) = (b & LOW_64, b >> 64);

    // Four partial products of 64-bit halves, each below 2^128.
    let low_low = a_low * b_low;
    let low_high = a_low * b_high;
    let high_low = a_high * b_low;
    let high_high = a_high * b_high;

    // Bits 64..128 of the sum, with their carry into bit 128 and above;
    // three terms below 2^64 each cannot overflow.
    let middle = (low_low >> 64) + (low_high & LOW_64) + (high_low & LOW_64);
    let low = (low_low & LOW_64) | (middle << 64);
    let high = high_high + (low_high >> 64) + (high_low >> 64) + (middle >> 64);
    (high, low)
}

/// Divides the little-endian limbs in place by `divisor` (not zero) and
/// returns the remainder. Long division, most significant limb first: the
/// running remainder stays below the divisor, so each partial dividend is
/// below `2^64 * divisor` and each quotient limb fits 64 bits.
fn divide_limbs(limbs: &mut [u64; 4], divisor: u64) -> u64 {
    if divisor == 1 {
        return 0;
    }
    let divisor = u128::from(divisor);
    let mut remainder = 0_u128;
    for limb in limbs.iter_mut().rev() {
        // Leading zero limbs stay zero; skipping them saves a division each.
        if remainder == 0 && *limb == 0 {
            continue;
        }
        let partial = (remainder << 64) | u128::from(*limb);
        let quotient = partial / divisor;
        // One 128-bit division rather than a second one for `%`.
        remainder = partial - quotient * divisor;
        *limb = quotient as u64;
    }
    remainder as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencoin_core::Period;
    use proptest::strategy::Strategy;
    use rust_decimal::RoundingStrategy;

    /// A spec built in code (past the file loader's checks) that burns
    /// what melts, with amounts of two decimals.
    fn spec(
        rate: &str,
        period: &str,
        step: &str,
        allowance: i128,
        rounding: MeltRounding,
    ) -> DemurrageSpec {
        DemurrageSpec {
            rate: rate.parse().unwrap(),
            period: Period::parse(period).unwrap(),
            step: Period::parse(step).unwrap(),
            free_allowance: Amount::from_minor_units(allowance, 2).unwrap(),
            rounding,
            destination: MeltDestination::Burn,
        }
    }

    fn rule(
        rate: &str,
        period: &str,
        step: &str,
        allowance: i128,
        rounding: MeltRounding,
    ) -> Demurrage {
        Demurrage::compile("rules[0]", &spec(rate, period, step, allowance, rounding)).unwrap()
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
        assert_eq!(demurrage.factor(1), Decimal::ONE - Decimal::new(2, 2) / Decimal::from(90));
        assert_eq!(demurrage.per_step_factor(), demurrage.factor(1));
    }

    #[test]
    fn cached_fixed_points_bracket_their_factors() {
        // floor(f^k * 2^128) means F * 10^s <= m * 2^128 < (F + 1) * 10^s,
        // with m * 2^128 being (m, 0) as (high, low) halves.
        let demurrage = rule("0.07", "1y", "1d", 0, MeltRounding::Down);
        for (steps, cached) in demurrage.cached_factors.iter().enumerate().skip(1) {
            let fixed_point = cached.fixed_point.unwrap();
            let divisor = POWERS_OF_TEN[cached.decimal.scale() as usize];
            let exact = (cached.decimal.mantissa().unsigned_abs(), 0);
            let below = multiply_wide(fixed_point, divisor);
            let (low, carry) = below.1.overflowing_add(divisor);
            let above = (below.0 + u128::from(carry), low);
            assert!(below <= exact && exact < above, "steps {steps}");
        }
        // f^0 = 1 has no fixed-point form below 2^128; it never melts.
        assert_eq!(demurrage.cached_factors[0].fixed_point, None);
    }

    #[test]
    fn fixed_points_by_hand() {
        // 0.5 * 2^128 = 2^127 and 0.25 * 2^128 = 2^126 exactly; 0.1 * 2^128
        // = 34028236692093846346337460743176821145.6, floored.
        assert_eq!(fixed_point(Decimal::new(5, 1)), Some(1 << 127));
        assert_eq!(fixed_point(Decimal::new(25, 2)), Some(1 << 126));
        assert_eq!(
            fixed_point(Decimal::new(1, 1)),
            Some(34_028_236_692_093_846_346_337_460_743_176_821_145)
        );
        assert_eq!(fixed_point(Decimal::ZERO), Some(0));
        assert_eq!(fixed_point(Decimal::ONE), None);
        assert_eq!(fixed_point(Decimal::new(-5, 1)), None);
    }

    #[test]
    fn exact_products_are_left_to_exact_division() {
        // 0.98^4 = 0.92236816 = 5764801 / 6250000 exactly. Its fixed point
        // is short of the exact value, so a product that is exactly whole
        // comes out a hair below the whole number, and the fixed point must
        // decline to round it down; rounding to nearest is far from a half
        // there and decided directly. 10^8 * 0.92236816 = 92236816 and
        // 12_500_000 * 0.92236816 = 92236816 / 8 = 11529602.
        let factor = Decimal::new(92_236_816, 8);
        let fixed = fixed_point(factor).unwrap();
        for (excess, kept) in [(100_000_000, 92_236_816), (12_500_000, 11_529_602)] {
            assert_eq!(kept_by_fixed_point(excess, fixed, MeltRounding::Down), None);
            assert_eq!(kept_by_fixed_point(excess, fixed, MeltRounding::Nearest), Some(kept));
            for rounding in [MeltRounding::Down, MeltRounding::Nearest] {
                assert_eq!(kept_exactly(excess, factor, rounding), kept, "{excess} {rounding:?}");
            }
        }

        // 3_125_000 * 0.92236816 = 92236816 / 32 = 2882400.5 exactly: a half
        // is the boundary when rounding to nearest (up to 2882401), and an
        // easy case when rounding down (2882400).
        assert_eq!(kept_by_fixed_point(3_125_000, fixed, MeltRounding::Nearest), None);
        assert_eq!(kept_exactly(3_125_000, factor, MeltRounding::Nearest), 2_882_401);
        assert_eq!(kept_by_fixed_point(3_125_000, fixed, MeltRounding::Down), Some(2_882_400));
        assert_eq!(kept_exactly(3_125_000, factor, MeltRounding::Down), 2_882_400);

        // 0.5 is exact in binary, so its fixed point decides halves itself:
        // 3 * 0.5 = 1.5, down 1, nearest 2.
        let half = fixed_point(Decimal::new(5, 1)).unwrap();
        assert_eq!(kept_by_fixed_point(3, half, MeltRounding::Down), Some(1));
        assert_eq!(kept_by_fixed_point(3, half, MeltRounding::Nearest), Some(2));
    }

    #[test]
    fn divide_by_power_of_ten_by_hand() {
        // 2^128 = 340282366920938463463374607431768211456: dividing by 10^28
        // splits off its last 28 digits as the remainder, dividing by 10^5
        // its last five.
        assert_eq!(
            divide_by_power_of_ten((1, 0), 28),
            ((0, 34_028_236_692), 938_463_463_374_607_431_768_211_456)
        );
        assert_eq!(
            divide_by_power_of_ten((1, 0), 5),
            ((0, 3_402_823_669_209_384_634_633_746_074_317_682), 11_456)
        );
        // 10^28 * 2^128 / 10^28 = 2^128: a quotient in the high half.
        assert_eq!(divide_by_power_of_ten((10_u128.pow(28), 0), 28), ((1, 0), 0));
        // Dividing by 10^0 changes nothing.
        assert_eq!(divide_by_power_of_ten((3, 4), 0), ((3, 4), 0));
    }

    #[test]
    fn multiply_wide_by_hand() {
        // (2^128 - 1)^2 = 2^256 - 2^129 + 1: high 2^128 - 2, low 1.
        assert_eq!(multiply_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        // (2^64 + 1) * (2^64 - 1) = 2^128 - 1.
        assert_eq!(multiply_wide((1 << 64) + 1, (1 << 64) - 1), (0, u128::MAX));
        // 2^127 * 6 = 3 * 2^128.
        assert_eq!(multiply_wide(1 << 127, 6), (3, 0));
    }

    #[test]
    fn exact_rounding_equals_rust_decimal_rounding() {
        // Values around every kind of boundary: exact integers, halves,
        // just below and above halves, at several scales. With an excess of
        // one the kept excess is the value itself rounded, which
        // rust_decimal's own rounding gives independently.
        let values = [
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
            "0.9999999999999999999999999999",
        ];
        for value in values {
            let value: Decimal = value.parse().unwrap();
            for rounding in [MeltRounding::Down, MeltRounding::Nearest] {
                assert_eq!(
                    kept_exactly(1, value, rounding),
                    rounded_by_rust_decimal(value, rounding),
                    "{value} rounded {rounding:?}"
                );
            }
        }
    }

    /// The reference rounding: `rust_decimal`'s own, to a whole number.
    fn rounded_by_rust_decimal(value: Decimal, rounding: MeltRounding) -> u128 {
        let strategy = match rounding {
            MeltRounding::Down => RoundingStrategy::ToZero,
            MeltRounding::Nearest => RoundingStrategy::MidpointAwayFromZero,
        };
        let mut rounded = value.round_dp_with_strategy(0, strategy);
        rounded.rescale(0);
        rounded.mantissa().unsigned_abs()
    }

    proptest::proptest! {
        /// Whenever `excess * m` fits a `Decimal` mantissa, rust_decimal
        /// holds the product `excess * m / 10^s` exactly, and its rounding
        /// to a whole number must equal the exact division's. The excess is
        /// drawn up to the largest that keeps the product below 2^96.
        #[test]
        fn exact_rounding_equals_rust_decimal_on_exact_products(
            (mantissa, excess) in proptest::prop_oneof![
                proptest::prelude::Just(1_u128),
                proptest::prelude::Just(5),
                0_u128..=1_000,
                0_u128..(1 << 96),
            ]
            .prop_flat_map(|mantissa| {
                let excess_max = ((1 << 96) - 1) / mantissa.max(1);
                let excess = proptest::prop_oneof![
                    proptest::prelude::Just(1_u128),
                    proptest::prelude::Just(excess_max),
                    1..=excess_max.min(1_000),
                    1..=excess_max,
                ];
                (proptest::prelude::Just(mantissa), excess)
            }),
            scale in 0_u32..=28,
        ) {
            let factor = Decimal::from_i128_with_scale(i128::try_from(mantissa).unwrap(), scale);
            let product = i128::try_from(mantissa * excess).unwrap();
            let value = Decimal::from_i128_with_scale(product, scale);
            for rounding in [MeltRounding::Down, MeltRounding::Nearest] {
                proptest::prop_assert_eq!(
                    kept_exactly(excess, factor, rounding),
                    rounded_by_rust_decimal(value, rounding)
                );
            }
        }

        /// The fixed point either declines or agrees with exact division,
        /// for any factor below one and any excess an `i128` can hold.
        #[test]
        fn fixed_point_declines_or_agrees_with_exact_division(
            mantissa in proptest::prop_oneof![
                proptest::prelude::Just(1_u128),
                proptest::prelude::Just(5),
                proptest::prelude::Just(98),
                0_u128..(1 << 96),
            ],
            scale in 1_u32..=28,
            excess in proptest::prop_oneof![
                proptest::prelude::Just(1_u128),
                proptest::prelude::Just(u128::from(u64::MAX)),
                proptest::prelude::Just(2 * 10_u128.pow(28) - 1),
                proptest::prelude::Just(i128::MAX.unsigned_abs()),
                1_u128..=1_000,
                1_u128..(1 << 96),
                1_u128..(1 << 127),
            ],
        ) {
            let mantissa = mantissa % POWERS_OF_TEN[scale as usize];
            let factor = Decimal::from_i128_with_scale(i128::try_from(mantissa).unwrap(), scale);
            let fixed_point = fixed_point(factor).unwrap();
            for rounding in [MeltRounding::Down, MeltRounding::Nearest] {
                if let Some(kept) = kept_by_fixed_point(excess, fixed_point, rounding) {
                    proptest::prop_assert_eq!(kept, kept_exactly(excess, factor, rounding));
                }
            }
        }
    }

    #[test]
    fn a_step_that_does_not_divide_the_period_is_refused() {
        // Built in code, past the file loader's own check: a one-day step in
        // a twelve-hour period, and a 7-day step in a 30-day period.
        for (period, step) in [("12h", "1d"), ("30d", "7d")] {
            let spec = spec("0.02", period, step, 0, MeltRounding::Down);
            let error = Demurrage::compile("rules[3]", &spec).unwrap_err();
            assert_eq!(error.path, "rules[3].step", "{period} / {step}");
        }
    }

    #[test]
    fn a_rate_that_melts_everything_in_one_step_is_refused() {
        // Built in code, past the file loader's limit of 100% per period:
        // 150% per day in daily steps would keep 1 - 1.5 = -0.5 per step,
        // and 100% exactly would keep nothing. The message must say so, not
        // call the rate too small.
        for rate in ["1.5", "1"] {
            let spec = spec(rate, "1d", "1d", 0, MeltRounding::Down);
            let error = Demurrage::compile("rules[1]", &spec).unwrap_err();
            assert_eq!(error.path, "rules[1].rate", "{rate}");
            assert!(error.problem.contains("melts everything within one step"), "{error}");
            assert!(error.problem.contains(rate), "{error}");
        }
    }

    #[test]
    fn far_future_melts_everything_above_allowance() {
        let demurrage = rule("0.5", "1d", "1d", 100, MeltRounding::Down);
        assert_eq!(demurrage.melt_steps(1_000_000, u64::MAX).balance, 100);
    }
}
