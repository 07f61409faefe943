//! Exact amounts of money, held as integer minor units of a currency.
//!
//! An [`Amount`] is a count of the currency's smallest unit (a cent for a
//! currency with two decimals) together with that number of decimals. It is
//! never rounded: text or a [`Decimal`] that needs more decimals than the
//! currency has is refused with [`AmountError::TooManyDecimals`].

use std::fmt;

use rust_decimal::Decimal;
use thiserror::Error;

/// The most decimals a currency may have.
///
/// Eighteen keeps ten whole digits of headroom under [`MINOR_UNITS_MAX`].
pub const DECIMALS_MAX: u8 = 18;

/// The largest magnitude of an amount, in minor units: 10^28 - 1.
///
/// Every amount therefore converts to a [`Decimal`] (whose mantissa holds
/// 96 bits, about 7.9 * 10^28), and the sum of up to 10^10 balances fits an
/// `i128` without overflow.
pub const MINOR_UNITS_MAX: i128 = 10_i128.pow(28) - 1;

const _: () = assert!(MINOR_UNITS_MAX < (1_i128 << 96));
const _: () = assert!(MINOR_UNITS_MAX.checked_mul(10_000_000_000).is_some());

/// Why an amount could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The currency's number of decimals is above [`DECIMALS_MAX`].
    #[error("{decimals} decimals is more than the {DECIMALS_MAX} a currency may have")]
    DecimalsTooLarge {
        /// The number of decimals asked for.
        decimals: u8,
    },
    /// The text is not a plain decimal number such as `12`, `-3.5` or `0.07`.
    #[error("{text:?} is not a decimal number (expected digits, an optional '-' and '.')")]
    Malformed {
        /// The text as given.
        text: String,
    },
    /// The value needs more decimals than the currency has.
    #[error("{value} needs {needed} decimals but the currency has {decimals}")]
    TooManyDecimals {
        /// The value as given.
        value: String,
        /// How many decimals the value needs.
        needed: u32,
        /// How many decimals the currency has.
        decimals: u8,
    },
    /// The value is larger in magnitude than [`MINOR_UNITS_MAX`] minor units.
    #[error("{value} is out of range (at most 10^28 - 1 minor units)")]
    OutOfRange {
        /// The value as given, or a description of the operation.
        value: String,
    },
    /// Two amounts with different numbers of decimals were combined.
    #[error("cannot combine an amount with {left} decimals and one with {right}")]
    DecimalsMismatch {
        /// Decimals of the left operand.
        left: u8,
        /// Decimals of the right operand.
        right: u8,
    },
    /// A negative amount where only zero or more is allowed.
    #[error("{value} is negative where only zero or more is allowed")]
    Negative {
        /// The value.
        value: String,
    },
    /// Zero or a negative amount where only a positive one is allowed.
    #[error("{value} must be positive")]
    NotPositive {
        /// The value.
        value: String,
    },
}

/// An exact amount of money: whole minor units of a currency with a fixed
/// number of decimals.
///
/// The fields are private so that every `Amount` in existence has valid
/// decimals and a magnitude within [`MINOR_UNITS_MAX`].
///
/// ```
/// use opencoin_core::Amount;
///
/// let price = Amount::parse("12.50", 2)?;
/// assert_eq!(price.minor_units(), 1250);
/// assert_eq!(price.to_string(), "12.50");
/// assert!(Amount::parse("0.005", 2).is_err()); // refused, never rounded
/// # Ok::<(), opencoin_core::AmountError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount {
    minor_units: i128,
    decimals: u8,
}

impl Amount {
    /// Builds an amount from a count of minor units.
    ///
    /// # Errors
    ///
    /// [`AmountError::DecimalsTooLarge`] if `decimals` is above
    /// [`DECIMALS_MAX`]; [`AmountError::OutOfRange`] if the magnitude is above
    /// [`MINOR_UNITS_MAX`].
    pub fn from_minor_units(minor_units: i128, decimals: u8) -> Result<Amount, AmountError> {
        if decimals > DECIMALS_MAX {
            return Err(AmountError::DecimalsTooLarge { decimals });
        }
        if !(-MINOR_UNITS_MAX..=MINOR_UNITS_MAX).contains(&minor_units) {
            return Err(AmountError::OutOfRange { value: format!("{minor_units} minor units") });
        }
        Ok(Amount { minor_units, decimals })
    }

    /// Builds an amount for reporting a figure that the caller's invariants
    /// already keep in range (a balance the ledger holds, a limit from a
    /// validated spec): out-of-range input is clamped to the nearest valid
    /// value instead of failing. Never use it to create money.
    // Inline across crates: the ledger builds two or three a payment for
    // its events, and the call cost more than the clamp (BENCHMARKS.md).
    #[inline]
    pub fn saturating_from_minor_units(minor_units: i128, decimals: u8) -> Amount {
        Amount {
            minor_units: minor_units.clamp(-MINOR_UNITS_MAX, MINOR_UNITS_MAX),
            decimals: decimals.min(DECIMALS_MAX),
        }
    }

    /// The amount zero in a currency with `decimals` decimals.
    ///
    /// # Errors
    ///
    /// [`AmountError::DecimalsTooLarge`] if `decimals` is above [`DECIMALS_MAX`].
    pub fn zero(decimals: u8) -> Result<Amount, AmountError> {
        Amount::from_minor_units(0, decimals)
    }

    /// Parses text such as `"12.50"` or `"-3"` into an amount with `decimals`
    /// decimals.
    ///
    /// Only an optional leading `-`, ASCII digits and at most one `.` are
    /// accepted: no `+`, no `_` separators, no exponent, no spaces. Trailing
    /// zeros beyond the currency's decimals are fine (`"1.50"` with one
    /// decimal is 1.5); any other extra digit is refused, never rounded.
    ///
    /// # Errors
    ///
    /// [`AmountError::Malformed`], [`AmountError::TooManyDecimals`],
    /// [`AmountError::OutOfRange`] or [`AmountError::DecimalsTooLarge`].
    pub fn parse(text: &str, decimals: u8) -> Result<Amount, AmountError> {
        let value = parse_plain_decimal(text)?;
        Amount::from_decimal(value, decimals)
    }

    /// Converts an exact [`Decimal`] into an amount with `decimals` decimals.
    ///
    /// # Errors
    ///
    /// [`AmountError::TooManyDecimals`] if the value has a non-zero digit
    /// past `decimals`; [`AmountError::OutOfRange`] or
    /// [`AmountError::DecimalsTooLarge`] as for [`Amount::from_minor_units`].
    pub fn from_decimal(value: Decimal, decimals: u8) -> Result<Amount, AmountError> {
        if decimals > DECIMALS_MAX {
            return Err(AmountError::DecimalsTooLarge { decimals });
        }
        let normalized = value.normalize();
        let needed = normalized.scale();
        if needed > u32::from(decimals) {
            return Err(AmountError::TooManyDecimals {
                value: value.to_string(),
                needed,
                decimals,
            });
        }

        // `needed <= decimals <= 18`, so the power and the product are
        // checked only against the range of `i128`.
        let shift = u32::from(decimals) - needed;
        let minor_units = 10_i128
            .checked_pow(shift)
            .and_then(|factor| normalized.mantissa().checked_mul(factor))
            .ok_or_else(|| AmountError::OutOfRange { value: value.to_string() })?;
        Amount::from_minor_units(minor_units, decimals)
            .map_err(|_| AmountError::OutOfRange { value: value.to_string() })
    }

    /// The count of minor units.
    pub fn minor_units(self) -> i128 {
        self.minor_units
    }

    /// The currency's number of decimals this amount is expressed in.
    pub fn decimals(self) -> u8 {
        self.decimals
    }

    /// The same value as an exact [`Decimal`] with `decimals` as its scale.
    pub fn to_decimal(self) -> Decimal {
        // Cannot fail: the magnitude is below 2^96 and the scale at most 18,
        // which is what `from_i128_with_scale` requires. The fallback keeps
        // the library free of panics all the same.
        Decimal::try_from_i128_with_scale(self.minor_units, u32::from(self.decimals))
            .unwrap_or(Decimal::ZERO)
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.minor_units == 0
    }

    /// True above zero.
    pub fn is_positive(self) -> bool {
        self.minor_units > 0
    }

    /// True below zero.
    pub fn is_negative(self) -> bool {
        self.minor_units < 0
    }

    /// Returns the amount if it is zero or more.
    ///
    /// # Errors
    ///
    /// [`AmountError::Negative`] otherwise.
    pub fn require_non_negative(self) -> Result<Amount, AmountError> {
        if self.is_negative() {
            return Err(AmountError::Negative { value: self.to_string() });
        }
        Ok(self)
    }

    /// Returns the amount if it is above zero.
    ///
    /// # Errors
    ///
    /// [`AmountError::NotPositive`] otherwise.
    pub fn require_positive(self) -> Result<Amount, AmountError> {
        if !self.is_positive() {
            return Err(AmountError::NotPositive { value: self.to_string() });
        }
        Ok(self)
    }

    /// Adds two amounts of the same currency.
    ///
    /// # Errors
    ///
    /// [`AmountError::DecimalsMismatch`] or [`AmountError::OutOfRange`].
    pub fn checked_add(self, other: Amount) -> Result<Amount, AmountError> {
        self.combine(other, i128::checked_add)
    }

    /// Subtracts `other` from this amount.
    ///
    /// # Errors
    ///
    /// [`AmountError::DecimalsMismatch`] or [`AmountError::OutOfRange`].
    pub fn checked_sub(self, other: Amount) -> Result<Amount, AmountError> {
        self.combine(other, i128::checked_sub)
    }

    fn combine(
        self,
        other: Amount,
        operation: fn(i128, i128) -> Option<i128>,
    ) -> Result<Amount, AmountError> {
        if self.decimals != other.decimals {
            return Err(AmountError::DecimalsMismatch {
                left: self.decimals,
                right: other.decimals,
            });
        }
        let minor_units = operation(self.minor_units, other.minor_units).ok_or_else(|| {
            AmountError::OutOfRange { value: format!("{self} combined with {other}") }
        })?;
        Amount::from_minor_units(minor_units, self.decimals)
    }
}

impl fmt::Display for Amount {
    /// Writes the amount with exactly the currency's number of decimals,
    /// for example `-0.05` or `1200.00`. Width and alignment flags apply to
    /// the whole number (`{:>12}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor_units < 0 { "-" } else { "" };
        let magnitude = self.minor_units.unsigned_abs();
        if self.decimals == 0 {
            return f.pad(&format!("{sign}{magnitude}"));
        }
        let unit = 10_u128.pow(u32::from(self.decimals));
        let whole = magnitude / unit;
        let fraction = magnitude % unit;
        let width = usize::from(self.decimals);
        f.pad(&format!("{sign}{whole}.{fraction:0width$}"))
    }
}

/// Parses text made only of an optional `-`, digits and one optional `.`
/// into an exact decimal.
///
/// The character check comes first because `Decimal`'s own parser accepts
/// `_`, `+` and exponents, which a currency file or a form should not.
///
/// # Errors
///
/// [`AmountError::Malformed`] for anything else, and [`AmountError::OutOfRange`]
/// for more digits than a `Decimal` holds.
pub fn parse_plain_decimal(text: &str) -> Result<Decimal, AmountError> {
    let malformed = || AmountError::Malformed { text: text.to_owned() };
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !fraction.is_none_or(all_digits) {
        return Err(malformed());
    }

    // Trailing fraction zeros do not change the value, but `Decimal` counts
    // them against its 28-digit precision: "8000.0000000000000000000000000"
    // would be refused as out of range although it is exactly 8000. Drop
    // them (and a point left bare) before parsing.
    let significant = match fraction {
        Some(_) => text.trim_end_matches('0').trim_end_matches('.'),
        None => text,
    };
    Decimal::from_str_exact(significant)
        .map_err(|_| AmountError::OutOfRange { value: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        // (text, decimals, expected minor units or None for an error)
        let rows: &[(&str, u8, Option<i128>)] = &[
            ("0", 2, Some(0)),
            ("12.5", 2, Some(1250)),
            ("12.50", 2, Some(1250)),
            ("12.500", 2, Some(1250)),
            ("-0.01", 2, Some(-1)),
            ("7", 0, Some(7)),
            ("0.00000001", 8, Some(1)),
            // 29 digits, but the 25 trailing zeros do not count: exactly 8000.
            ("8000.0000000000000000000000000", 0, Some(8000)),
            ("12.345", 2, None),
            ("1_000", 2, None),
            ("+1", 2, None),
            ("1e3", 2, None),
            (" 1", 2, None),
            ("", 2, None),
            (".5", 2, None),
            ("5.", 2, None),
            ("--5", 2, None),
            ("1.2.3", 2, None),
            ("1", 19, None),
        ];
        for &(text, decimals, expected) in rows {
            let got = Amount::parse(text, decimals).ok().map(Amount::minor_units);
            assert_eq!(got, expected, "parse({text:?}, {decimals})");
        }
    }

    #[test]
    fn range_edges() {
        assert!(Amount::from_minor_units(MINOR_UNITS_MAX, 0).is_ok());
        assert!(Amount::from_minor_units(-MINOR_UNITS_MAX, 0).is_ok());
        assert!(Amount::from_minor_units(MINOR_UNITS_MAX + 1, 0).is_err());
        let max = Amount::from_minor_units(MINOR_UNITS_MAX, 2).unwrap();
        let cent = Amount::from_minor_units(1, 2).unwrap();
        assert!(max.checked_add(cent).is_err());
        assert!(Amount::parse("99999999999999999999999999999", 0).is_err());
    }

    #[test]
    fn display_pads_fraction() {
        // 5 minor units with 3 decimals is 0.005; -1205 with 2 is -12.05.
        assert_eq!(Amount::from_minor_units(5, 3).unwrap().to_string(), "0.005");
        assert_eq!(Amount::from_minor_units(-1205, 2).unwrap().to_string(), "-12.05");
        assert_eq!(Amount::from_minor_units(42, 0).unwrap().to_string(), "42");
        assert_eq!(format!("{:>8}", Amount::from_minor_units(-5, 2).unwrap()), "   -0.05");
    }

    #[test]
    fn saturating_construction_clamps_only_what_is_out_of_range() {
        // 10^28 - 1 is the largest magnitude; 10^28 is one past it.
        let largest = 10_i128.pow(28) - 1;
        let clamp = |units, decimals| {
            let amount = Amount::saturating_from_minor_units(units, decimals);
            (amount.minor_units(), amount.decimals())
        };
        assert_eq!(clamp(-1205, 2), (-1205, 2));
        assert_eq!(clamp(largest, 18), (largest, 18));
        assert_eq!(clamp(largest + 1, 2), (largest, 2));
        assert_eq!(clamp(i128::MIN, 2), (-largest, 2));
        assert_eq!(clamp(7, 19), (7, 18));
    }

    #[test]
    fn mismatched_decimals_refused() {
        let a = Amount::from_minor_units(1, 2).unwrap();
        let b = Amount::from_minor_units(1, 3).unwrap();
        assert_eq!(a.checked_add(b), Err(AmountError::DecimalsMismatch { left: 2, right: 3 }));
    }
}
