//! Demurrage melts the part of an idle balance above a free allowance by a
//! rate per period, compounded every step. This file guards the promises of
//! `opencoin_rules::demurrage`: value is conserved to the last minor unit
//! (the melted amount is exactly what the balance lost), a balance never
//! grows and only melts further with more time, balances at or below the
//! allowance and negative balances never move, step counts on the epoch grid
//! add up, touching an account often costs at most one minor unit per
//! intermediate touch, and the 28-digit result agrees with an exact rational
//! computation done here with big integers. The kept excess is also checked
//! to be exactly `excess * m / 10^s` for the library's own 28-digit factor
//! `m / 10^s`, rounded once, on products built to land exactly on a whole
//! number or a half or one unit beside. A table of cases computed
//! independently with Python's `decimal` module pins concrete values.
//!
//! Strategies lean on the edges: balances 0, 1, the allowance and one unit
//! either side of it, 10^18 and the largest amount; step counts 0, 1 and
//! huge; rates of 0.01% and 99%; steps from a minute over a year (525,600
//! per period) to the whole period; excesses of 1, around 2^64 and just
//! under 2 * 10^28; factors with short decimal forms (0.5, 0.25, 0.98, 0.9)
//! whose products are often whole or half. Case counts follow proptest's
//! default (256) and `PROPTEST_CASES`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use opencoin_core::spec::{DemurrageSpec, MeltDestination, MeltRounding};
use opencoin_core::{Amount, CurrencySpec, MINOR_UNITS_MAX, Period, Timestamp};
use opencoin_rules::{Demurrage, Melt, RuleSet};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;

const DECIMALS: u8 = 2;
const TEN_TO_12: i128 = 1_000_000_000_000;
const TEN_TO_18: i128 = 1_000_000_000_000_000_000;

/// Rates are drawn in basis points, so that the exact rate is `p / 10_000`.
const BASIS_POINTS_PER_ONE: u64 = 10_000;

/// (period, step) pairs a currency file can write: a step of a minute, an
/// hour, a day or the whole period, over periods from a day to a year.
const PERIODS_AND_STEPS: &[(&str, &str)] = &[
    ("1d", "1m"),
    ("1d", "1h"),
    ("1d", "1d"),
    ("30d", "1h"),
    ("30d", "1d"),
    ("30d", "30d"),
    ("90d", "1m"),
    ("90d", "1d"),
    ("90d", "90d"),
    ("1y", "1m"),
    ("1y", "1h"),
    ("1y", "1d"),
    ("1y", "1y"),
];

/// A demurrage design as the properties draw it.
#[derive(Debug, Clone, Copy)]
struct Design {
    rate_basis_points: u64,
    period: &'static str,
    step: &'static str,
    allowance: i128,
    rounding: MeltRounding,
}

impl Design {
    fn compile(&self) -> Demurrage {
        let spec = DemurrageSpec {
            rate: Decimal::new(i64::try_from(self.rate_basis_points).unwrap(), 4),
            period: Period::parse(self.period).unwrap(),
            step: Period::parse(self.step).unwrap(),
            free_allowance: Amount::from_minor_units(self.allowance, DECIMALS).unwrap(),
            rounding: self.rounding,
            destination: MeltDestination::Burn,
        };
        Demurrage::compile("rules[0]", &spec).unwrap()
    }

    /// The exact per-step factor `1 - r / n` as `(numerator, denominator)`,
    /// with `r = p / 10_000` and `n` steps per period.
    fn exact_factor(&self) -> (u64, u64) {
        let period = Period::parse(self.period).unwrap().seconds();
        let step = Period::parse(self.step).unwrap().seconds();
        let denominator = BASIS_POINTS_PER_ONE * (period / step);
        (denominator - self.rate_basis_points, denominator)
    }
}

fn rate_basis_points() -> impl Strategy<Value = u64> {
    prop_oneof![Just(1_u64), Just(9_900), Just(200), Just(700), 1..=9_900_u64]
}

fn allowance() -> impl Strategy<Value = i128> {
    prop_oneof![Just(0_i128), Just(1), Just(5_000), 0..=TEN_TO_12]
}

fn rounding() -> impl Strategy<Value = MeltRounding> {
    prop_oneof![Just(MeltRounding::Down), Just(MeltRounding::Nearest)]
}

fn design_with(allowance: impl Strategy<Value = i128>) -> impl Strategy<Value = Design> {
    (rate_basis_points(), select(PERIODS_AND_STEPS), allowance, rounding()).prop_map(
        |(rate_basis_points, (period, step), allowance, rounding)| Design {
            rate_basis_points,
            period,
            step,
            allowance,
            rounding,
        },
    )
}

fn design() -> impl Strategy<Value = Design> {
    design_with(allowance())
}

/// Balances of any sign around the allowance, up to the largest amount.
fn balance_around(allowance: i128) -> impl Strategy<Value = i128> {
    prop_oneof![
        Just(0_i128),
        Just(1),
        Just(allowance),
        Just(allowance - 1),
        Just(allowance + 1),
        Just(TEN_TO_18),
        Just(MINOR_UNITS_MAX),
        Just(-MINOR_UNITS_MAX),
        -TEN_TO_18..=TEN_TO_18,
        allowance..=allowance + 1_000_000,
    ]
}

fn design_and_balance() -> impl Strategy<Value = (Design, i128)> {
    design().prop_flat_map(|design| (Just(design), balance_around(design.allowance)))
}

/// Step counts: none, one, a few, a realistic number, and absurdly many.
fn steps() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0_u64),
        Just(1),
        Just(2),
        Just(1 << 40),
        Just(u64::MAX),
        0..=1_000_u64,
        0..=100_000_000_u64,
        any::<u64>(),
    ]
}

/// A count of steps cut into one to ten parts (so zero to nine intermediate
/// touches); the parts are small enough that their sum fits a `u64`.
fn touch_parts() -> impl Strategy<Value = Vec<u64>> {
    let part = prop_oneof![
        Just(0_u64),
        Just(1),
        0..=400_u64,
        0..=1_000_000_u64,
        0..=1_000_000_000_u64,
        Just(u64::MAX / 16),
    ];
    vec(part, 1..=10)
}

/// Timestamps at and around day boundaries, and anywhere.
fn instant() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0_u64),
        Just(86_399),
        Just(86_400),
        Just(u64::MAX),
        0..=10_000_000_u64,
        any::<u64>(),
    ]
}

proptest! {
    #[test]
    fn melting_conserves_value_and_never_grows(
        (design, balance) in design_and_balance(),
        steps in steps(),
    ) {
        let melt = design.compile().melt_steps(balance, steps);

        prop_assert!(melt.balance <= balance, "{melt:?} from {balance}");
        prop_assert!(melt.melted >= 0, "{melt:?} from {balance}");
        if balance > design.allowance {
            // Only the excess melts: the allowance itself always stays.
            prop_assert!(melt.balance >= design.allowance, "{melt:?} from {balance}");
        }
    }

    #[test]
    fn more_time_never_leaves_more(
        (design, balance) in design_and_balance(),
        early in steps(),
        extra in prop_oneof![Just(0_u64), Just(1), steps()],
    ) {
        let demurrage = design.compile();
        let late = early.saturating_add(extra);

        let after_early = demurrage.melt_steps(balance, early).balance;
        let after_late = demurrage.melt_steps(balance, late).balance;
        prop_assert!(
            after_late <= after_early,
            "{balance} keeps {after_early} after {early} steps but {after_late} after {late}"
        );
    }

    #[test]
    fn balances_at_or_below_the_allowance_never_change(
        design in design(),
        below in prop_oneof![Just(0_i128), Just(1), 0..=TEN_TO_18, Just(MINOR_UNITS_MAX)],
        steps in steps(),
    ) {
        let demurrage = design.compile();
        let at_or_below = design.allowance - below;
        let negative = -1 - below.min(MINOR_UNITS_MAX - 1);

        for balance in [at_or_below, negative] {
            prop_assert_eq!(demurrage.melt_steps(balance, steps), Melt { balance, melted: 0 });
        }
    }

    /// `demurrage.rs` claims that melting over `k1` then `k2` steps differs
    /// from melting over `k1 + k2` at once by at most one minor unit per
    /// intermediate touch, for balances up to 10^18 minor units, and that
    /// with rounding down the account touched more often never ends higher
    /// unless the factors' rounding noise tips a product that lies a hair
    /// below a whole unit. The test allows exactly that, one unit with the
    /// direct product within 10^-6 of the next unit, and nothing more.
    #[test]
    fn touching_often_costs_at_most_a_unit_per_touch(
        design in design(),
        balance in prop_oneof![Just(TEN_TO_18), Just(1), 0..=TEN_TO_18, 0..=TEN_TO_12],
        parts in touch_parts(),
    ) {
        let demurrage = design.compile();
        let total: u64 = parts.iter().sum();
        let touches = i128::try_from(parts.len() - 1).unwrap();

        let direct = demurrage.melt_steps(balance, total).balance;
        let split = parts.iter().fold(balance, |held, &steps| {
            demurrage.melt_steps(held, steps).balance
        });
        prop_assert!(
            (split - direct).abs() <= touches,
            "{balance} over {parts:?}: split {split}, direct {direct}, {touches} touches"
        );

        if design.rounding == MeltRounding::Down && split > direct {
            let excess = Decimal::from_i128_with_scale(balance - design.allowance, 0);
            let product = excess.checked_mul(demurrage.factor(total)).unwrap();
            let below_next_unit = product.floor() + Decimal::ONE - product;
            prop_assert!(
                split == direct + 1 && below_next_unit < Decimal::new(1, 6),
                "{balance} over {parts:?}: split {split} above direct {direct} ({product})"
            );
        }
    }

    #[test]
    fn step_counts_add_up_on_the_grid(
        design in design(),
        mut times in [instant(), instant(), instant()],
        balance in prop_oneof![Just(TEN_TO_18), 0..=TEN_TO_12],
    ) {
        times.sort_unstable();
        let demurrage = design.compile();
        let [t0, t1, t2] = times.map(Timestamp);
        let steps = |from, to| demurrage.steps_between(from, to);

        prop_assert_eq!(steps(t0, t1) + steps(t1, t2), steps(t0, t2));
        prop_assert_eq!(steps(t2, t0), 0, "backwards in time counts no steps");
        let melted_by_time = demurrage.melt(balance, t0, t2);
        prop_assert_eq!(melted_by_time, demurrage.melt_steps(balance, steps(t0, t2)));
    }

    /// A span of exactly one step always crosses exactly one grid line, and
    /// a span one second shorter crosses at most one.
    #[test]
    fn one_step_of_time_is_one_step(design in design(), start in 0..=u64::MAX / 2) {
        let demurrage = design.compile();
        let step = Period::parse(design.step).unwrap().seconds();

        let full = demurrage.steps_between(Timestamp(start), Timestamp(start + step));
        let short = demurrage.steps_between(Timestamp(start), Timestamp(start + step - 1));
        prop_assert_eq!(full, 1);
        prop_assert!(short <= 1);
    }

    /// Differential check against exact rational arithmetic. The library
    /// keeps `f^k` to 28 digits, so it cannot always match the exact floor:
    /// when the exact kept excess lies within a hair of an integer (or of a
    /// half, for rounding to nearest), a last-digit error in the factor may
    /// land it on the other side. For `k <= 400` the factor is a product of
    /// at most nine stored powers, each from at most nine squarings, every
    /// step rounded at the 28th decimal place, so it is off by less than
    /// 10^-25; on an excess below 10^12 that is under 10^-12 minor units.
    /// The test therefore demands an exact match whenever the exact value is
    /// at least 10^-9 away from the rounding boundary, and one minor unit at
    /// most otherwise.
    #[test]
    fn agrees_with_exact_rationals(
        (design, excess) in design_with(prop_oneof![Just(0_i128), Just(1), 0..=1_000_000_i128])
            .prop_flat_map(|design| {
                let most = TEN_TO_12 - design.allowance;
                (Just(design), prop_oneof![Just(1_i128), Just(2), Just(most), 1..=most])
            }),
        steps in prop_oneof![Just(0_u32), Just(1), Just(400), 0..=400_u32],
    ) {
        let balance = design.allowance + excess;
        let melt = design.compile().melt_steps(balance, u64::from(steps));
        let kept = melt.balance - design.allowance;

        let (numerator, denominator) = design.exact_factor();
        let excess_units = u128::try_from(excess).unwrap();
        let scaled = exact_floor_scaled(excess_units, numerator, denominator, steps);
        let (whole, billionths) = (scaled / BILLION, scaled % BILLION);
        let (expected, clear_of_boundary) = match design.rounding {
            MeltRounding::Down => (whole, billionths != 0 && billionths != BILLION - 1),
            MeltRounding::Nearest => (
                whole + u128::from(billionths >= BILLION / 2),
                billionths != BILLION / 2 && billionths != BILLION / 2 - 1,
            ),
        };
        let expected = i128::try_from(expected).unwrap();

        prop_assert!(
            (kept - expected).abs() <= 1,
            "{design:?}: {excess} over {steps} steps keeps {kept}, exactly {whole}.{billionths:09}"
        );
        if clear_of_boundary {
            prop_assert_eq!(kept, expected, "{:?}: exactly {}.{:09}", design, whole, billionths);
        }
    }
}

/// Excesses up to here (exclusive) are the range the library promises an
/// exact single rounding for: twice the largest amount.
const EXCESS_LIMIT: u128 = 2 * 10_u128.pow(28);

/// A design with a factor of few decimal digits, so that products often
/// land exactly on whole numbers and halves (50%, 75%, 2% and 10% per
/// whole-period step keep 0.5, 0.25, 0.98 and 0.9), or any design.
fn design_with_short_factors() -> impl Strategy<Value = Design> {
    let short = (select(&[5_000_u64, 7_500, 200, 1_000][..]), allowance(), rounding()).prop_map(
        |(rate_basis_points, allowance, rounding)| Design {
            rate_basis_points,
            period: "1d",
            step: "1d",
            allowance,
            rounding,
        },
    );
    prop_oneof![short, design()]
}

/// Step counts inside the library's factor cache and past it.
fn cached_and_uncached_steps() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0_u64),
        Just(1),
        Just(2),
        Just(3),
        Just(1_023),
        Just(1_024),
        Just(1_025),
        1..1_024_u64,
        1_024..=100_000_u64,
        any::<u64>(),
    ]
}

/// How the excess is chosen. With the factor `m / 10^s = p / q` in lowest
/// terms, `excess * p / q` is whole when `q` divides the excess, and is a
/// half when `q` is even and the excess is an odd multiple of `q / 2` (then
/// `p` is odd).
#[derive(Debug, Clone, Copy)]
enum ExcessShape {
    /// This excess, as drawn.
    Drawn(u128),
    /// `multiple * q + offset`: a whole product, or one unit of excess
    /// beside one.
    Whole { multiple: u128, offset: i8 },
    /// `multiple * q + q / 2 + offset`: a half product (for an even `q`),
    /// or one unit of excess beside one.
    Half { multiple: u128, offset: i8 },
}

fn excess_shape() -> impl Strategy<Value = ExcessShape> {
    let two_to_64 = 1_u128 << 64;
    let drawn = prop_oneof![
        Just(1_u128),
        1..=1_000_u128,
        two_to_64 - 1_000..=two_to_64 + 1_000,
        EXCESS_LIMIT - 1_000..EXCESS_LIMIT,
        Just(EXCESS_LIMIT - 1),
        1..EXCESS_LIMIT,
    ];
    let multiple = || prop_oneof![Just(1_u128), 0..=1_000_u128, any::<u128>()];
    prop_oneof![
        drawn.prop_map(ExcessShape::Drawn),
        (multiple(), -1..=1_i8)
            .prop_map(|(multiple, offset)| ExcessShape::Whole { multiple, offset }),
        (multiple(), -1..=1_i8)
            .prop_map(|(multiple, offset)| ExcessShape::Half { multiple, offset }),
    ]
}

fn greatest_common_divisor(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

proptest! {
    /// The kept excess is `excess * m / 10^s` for the library's factor
    /// `m / 10^s`, floored or rounded half up, with nothing lost to an
    /// intermediate rounding of the product. The reference divides by ten
    /// digit by digit in 32-bit limbs; for products built to be exactly
    /// whole or half, the expected value is also written down directly.
    #[test]
    fn kept_excess_is_the_exact_product_rounded_once(
        design in design_with_short_factors(),
        steps in cached_and_uncached_steps(),
        shape in excess_shape(),
    ) {
        let demurrage = design.compile();
        let factor = demurrage.factor(steps);
        let mantissa = factor.mantissa().unsigned_abs();
        let scale = factor.scale();
        let power_of_ten = 10_u128.pow(scale);
        let common = greatest_common_divisor(mantissa, power_of_ten);
        let (reduced_numerator, reduced_denominator) =
            (mantissa / common, power_of_ten / common);

        let multiples_in_range = (EXCESS_LIMIT - 1) / reduced_denominator + 1;
        let (base, offset) = match shape {
            ExcessShape::Drawn(excess) => (excess, 0),
            ExcessShape::Whole { multiple, offset } => {
                (multiple % multiples_in_range * reduced_denominator, offset)
            }
            ExcessShape::Half { multiple, offset } => (
                multiple % multiples_in_range * reduced_denominator + reduced_denominator / 2,
                offset,
            ),
        };
        let excess = base.saturating_add_signed(offset.into()).clamp(1, EXCESS_LIMIT - 1);

        let (down, nearest) = exact_kept(excess, mantissa, scale);
        let expected = match design.rounding {
            MeltRounding::Down => down,
            MeltRounding::Nearest => nearest,
        };
        // The reference itself, on the constructed cases: p / q times a
        // multiple of q is that multiple of p; an odd multiple of q / 2
        // gives the half (k * p) / 2 with k * p odd.
        if excess == base {
            let whole_units = excess / reduced_denominator * reduced_numerator;
            match shape {
                ExcessShape::Whole { .. } => {
                    prop_assert_eq!((down, nearest), (whole_units, whole_units));
                }
                ExcessShape::Half { .. } if reduced_denominator % 2 == 0 => {
                    let halves = excess / (reduced_denominator / 2) * reduced_numerator;
                    prop_assert_eq!((down, nearest), (halves / 2, halves / 2 + 1));
                }
                _ => {}
            }
        }

        let excess = i128::try_from(excess).unwrap();
        let expected = i128::try_from(expected).unwrap();
        let balance = design.allowance + excess;
        let melt = demurrage.melt_steps(balance, steps);
        prop_assert_eq!(
            melt,
            Melt { balance: design.allowance + expected, melted: excess - expected },
            "{:?}: excess {} times {} over {} steps", design, excess, factor, steps
        );
    }
}

/// The excess kept by the factor `mantissa / 10^scale`, exactly: rounded
/// down and rounded to nearest with halves up. Built from
/// `floor(10 * excess * mantissa / 10^scale)`, one digit more than needed:
/// its last digit is five or more exactly when the fraction is at least
/// one half.
fn exact_kept(excess: u128, mantissa: u128, scale: u32) -> (u128, u128) {
    let mut value = Natural::from_u128(excess).times(&Natural::from_u128(mantissa));
    value.multiply_by(10);
    for _ in 0..scale {
        value.divide_by(10);
    }
    let with_one_digit_more = value.to_u128();
    let down = with_one_digit_more / 10;
    (down, down + u128::from(with_one_digit_more % 10 >= 5))
}

const BILLION: u128 = 1_000_000_000;

/// `floor(10^9 * excess * (numerator / denominator)^steps)`, exactly.
///
/// The numerator and denominator of `f^k` have thousands of digits, so the
/// value is built as a big natural number; flooring by `denominator` once
/// per step equals one floor by `denominator^steps`, since
/// `floor(floor(x / a) / b) == floor(x / (a * b))` for positive integers.
fn exact_floor_scaled(excess: u128, numerator: u64, denominator: u64, steps: u32) -> u128 {
    let mut value = Natural::from_u128(excess * BILLION);
    for _ in 0..steps {
        value.multiply_by(numerator);
    }
    for _ in 0..steps {
        value.divide_by(denominator);
    }
    value.to_u128()
}

/// A natural number of any size as little-endian 32-bit limbs, with only
/// the two operations the exact reference needs. Written here rather than
/// taken from a big-integer crate to keep this test independent of the
/// workspace's dependency set; it is checked against Python's `decimal` in
/// `exact_reference_matches_hand_values`.
struct Natural(Vec<u32>);

impl Natural {
    fn from_u128(mut value: u128) -> Natural {
        let mut limbs = Vec::new();
        while value > 0 {
            limbs.push(u32::try_from(value & 0xFFFF_FFFF).unwrap());
            value >>= 32;
        }
        Natural(limbs)
    }

    fn multiply_by(&mut self, factor: u64) {
        let mut carry: u128 = 0;
        for limb in &mut self.0 {
            let product = u128::from(*limb) * u128::from(factor) + carry;
            *limb = u32::try_from(product & 0xFFFF_FFFF).unwrap();
            carry = product >> 32;
        }
        while carry > 0 {
            self.0.push(u32::try_from(carry & 0xFFFF_FFFF).unwrap());
            carry >>= 32;
        }
    }

    /// The product of two naturals, by schoolbook multiplication of limbs.
    fn times(&self, other: &Natural) -> Natural {
        let mut limbs = vec![0_u32; self.0.len() + other.0.len()];
        for (i, &left) in self.0.iter().enumerate() {
            let mut carry: u64 = 0;
            for (j, &right) in other.0.iter().enumerate() {
                // At most (2^32 - 1)^2 + 2 * (2^32 - 1) = 2^64 - 1.
                let sum = u64::from(left) * u64::from(right) + u64::from(limbs[i + j]) + carry;
                limbs[i + j] = u32::try_from(sum & 0xFFFF_FFFF).unwrap();
                carry = sum >> 32;
            }
            limbs[i + other.0.len()] = u32::try_from(carry).unwrap();
        }
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        Natural(limbs)
    }

    /// Divides in place, dropping the remainder (a floor).
    fn divide_by(&mut self, divisor: u64) {
        let mut remainder: u128 = 0;
        for limb in self.0.iter_mut().rev() {
            // The remainder is below the divisor (< 2^64), so this is below
            // 2^96 and the quotient digit fits 32 bits.
            let current = (remainder << 32) | u128::from(*limb);
            *limb = u32::try_from(current / u128::from(divisor)).unwrap();
            remainder = current % u128::from(divisor);
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn to_u128(&self) -> u128 {
        assert!(self.0.len() <= 4, "{} limbs do not fit a u128", self.0.len());
        self.0.iter().rev().fold(0, |value, &limb| (value << 32) | u128::from(limb))
    }
}

#[test]
fn exact_reference_matches_hand_values() {
    // 1000.00 at 7% a year compounded daily for 365 days, in minor units:
    // 100000 * (364.93/365)^365 = 93238.756059280562... (Python decimal,
    // 80 digits), so 10^9 times it floors to 93238756059280.
    let (numerator, denominator) = (365 * 10_000 - 700, 365 * 10_000);
    assert_eq!(exact_floor_scaled(100_000, numerator, denominator, 365), 93_238_756_059_280);

    // 100000 * 0.98^4 = 92236.816 exactly.
    assert_eq!(exact_floor_scaled(100_000, 9_800, 10_000, 4), 92_236_816_000_000);

    // (down, nearest) of excess * mantissa / 10^scale:
    // 5 * 0.9 = 4.5; 3 * 0.25 = 0.75; 100000 * 0.92236816 = 92236.816;
    // 10^8 * 0.92236816 = 92236816 exactly; 7 * 1 = 7;
    // (2 * 10^28 - 1) * 0.9999999999999999999999999999
    //   = 19999999999999999999999999997.0000000000000000000000000001.
    assert_eq!(exact_kept(5, 9, 1), (4, 5));
    assert_eq!(exact_kept(3, 25, 2), (0, 1));
    assert_eq!(exact_kept(100_000, 92_236_816, 8), (92_236, 92_237));
    assert_eq!(exact_kept(100_000_000, 92_236_816, 8), (92_236_816, 92_236_816));
    assert_eq!(exact_kept(7, 1, 0), (7, 7));
    let nines = 10_u128.pow(28) - 1;
    let below_limit = 2 * 10_u128.pow(28) - 1;
    let kept = 2 * 10_u128.pow(28) - 3;
    assert_eq!(exact_kept(below_limit, nines, 28), (kept, kept));
}

/// Compiles a demurrage rule from a whole currency file, the way a
/// community would write it.
fn from_file(rate: &str, period: &str, step: &str, allowance: &str, rounding: &str) -> Demurrage {
    let text = format!(
        r#"
code = "VLG"
name = "Village"
decimals = 2
supply = {{ policy = "mutual_credit", credit_limit = "0" }}

[[rules]]
kind = "demurrage"
rate = "{rate}"
period = "{period}"
step = "{step}"
free_allowance = "{allowance}"
rounding = "{rounding}"
destination = "burn"
"#
    );
    let spec = CurrencySpec::from_toml_str(&text).unwrap();
    RuleSet::compile(&spec).unwrap().demurrage().unwrap().clone()
}

/// (rate, period, step, allowance, rounding, balance, steps, expected
/// balance), the first five as written in the currency file.
type ReferenceRow =
    (&'static str, &'static str, &'static str, &'static str, &'static str, i128, u64, i128);

/// Each expected value was computed outside Rust with Python's `decimal`
/// module at 80 significant digits, as `A + excess * (1 - r/n)^k`, and
/// rounded by hand in the row's direction.
#[test]
fn reference_table() {
    let rows: &[ReferenceRow] = &[
        // 100000 * (1 - 0.07/365)^365 = 93238.75605928056...
        ("7%", "1y", "day", "0", "down", 100_000, 365, 93_238),
        ("7%", "1y", "day", "0", "nearest", 100_000, 365, 93_239),
        // Two years: 100000 * (1 - 0.07/365)^730 = 86934.65631482027...
        ("7%", "1y", "day", "0", "down", 100_000, 730, 86_934),
        ("7%", "1y", "day", "0", "nearest", 100_000, 730, 86_935),
        // 100000 * (1 - 0.02/90)^90 = 98019.64947671493...
        ("2%", "90d", "day", "0", "down", 100_000, 90, 98_019),
        // Step equal to the period: 100000 * 0.98^4 = 92236.816 exactly.
        ("2%", "90d", "period", "0", "down", 100_000, 4, 92_236),
        ("2%", "90d", "period", "0", "nearest", 100_000, 4, 92_237),
        // Allowance 100.00: 10000 + 50000 * (1 - 0.05/30)^30
        // = 10000 + 47559.48733376928... = 57559.
        ("5%", "30d", "day", "100.00", "down", 60_000, 30, 57_559),
        // 10^18 minor units, 10% a year hourly for a year:
        // 10^18 * (1 - 0.1/8760)^8760 = 904836901572463003.1346774...
        ("10%", "1y", "hour", "0", "down", TEN_TO_18, 8_760, 904_836_901_572_463_003),
        // 1% per 30 days by the minute: 1234567 * (1 - 0.01/43200)^43200
        // = 1222282.851687529...
        ("1%", "30d", "minute", "0", "down", 1_234_567, 43_200, 1_222_282),
        ("1%", "30d", "minute", "0", "nearest", 1_234_567, 43_200, 1_222_283),
        // 99% per year in one step: 12345 * 0.01 = 123.45.
        ("99%", "1y", "period", "0", "down", 12_345, 1, 123),
        ("99%", "1y", "period", "0", "nearest", 12_345, 1, 123),
        // 0.05 at 10% per step keeps 4.5 minor units: down 4, nearest 5.
        ("10%", "1d", "period", "0", "down", 5, 1, 4),
        ("10%", "1d", "period", "0", "nearest", 5, 1, 5),
    ];
    for &(rate, period, step, allowance, rounding, balance, steps, expected) in rows {
        let melt = from_file(rate, period, step, allowance, rounding).melt_steps(balance, steps);
        let row = format!("{rate}/{period} per {step}, {rounding}, {balance} over {steps}");
        assert_eq!(melt.balance, expected, "{row}");
        assert_eq!(melt.melted, balance - expected, "{row}");
    }
}

#[test]
fn a_year_of_calendar_time_melts_like_365_daily_steps() {
    // From midnight on 2026-01-01 (1767225600 = 20454 days after the
    // epoch) to midnight a year later: 365 daily steps, so 1000.00 keeps
    // 932.38 and 67.62 melts (see the reference table).
    let demurrage = from_file("7%", "1y", "day", "0", "down");
    let start = Timestamp(20_454 * 86_400);
    let end = Timestamp(start.seconds() + 365 * 86_400);

    let balance = Amount::parse("1000.00", DECIMALS).unwrap();
    let (kept, melted) = demurrage.melt_amount(balance, start, end);
    assert_eq!(kept, Amount::parse("932.38", DECIMALS).unwrap());
    assert_eq!(melted, Amount::parse("67.62", DECIMALS).unwrap());

    // One second short of the last midnight is a step short.
    let almost = Timestamp(end.seconds() - 1);
    assert_eq!(demurrage.steps_between(start, almost), 364);
}
