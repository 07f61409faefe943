//! Properties of the core vocabulary, checked on generated inputs biased
//! towards the edges where money bugs hide: zero, one minor unit,
//! plus and minus `MINOR_UNITS_MAX`, 0 and 18 decimals, 256-byte memos.
//!
//! Guarded here: amounts print and parse back unchanged, and text is never
//! rounded (an independent digit-by-digit reading of the text decides what
//! must be accepted); amount arithmetic agrees with plain `i128` arithmetic
//! or refuses; transactions have exactly one byte form, so any change to a
//! signed transaction's bytes is caught by decoding or by the signature;
//! and no input, however malformed (bytes, currency files, periods), makes
//! the library panic. Cases default to proptest's 256 and follow
//! `PROPTEST_CASES` when it is set.

use opencoin_core::ed25519_dalek::SigningKey;
use opencoin_core::spec::RuleKind;
use opencoin_core::time::{SECONDS_PER_DAY, SECONDS_PER_YEAR};
use opencoin_core::{
    AccountId, Action, Amount, AmountError, CurrencyCode, CurrencySpec, DECIMALS_MAX,
    MINOR_UNITS_MAX, Period, SignedTransaction, Timestamp, Transaction,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

const VILLAGE_TOML: &str = include_str!("../../examples/currencies/village.toml");
const TIMEBANK_JSON: &str = include_str!("../../examples/currencies/timebank.json");

/// The longest memo the encoding allows, restated from the module docs of
/// `tx` so that a change there is noticed here.
const MEMO_BYTES_MAX: usize = 256;

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

fn decimals() -> impl Strategy<Value = u8> {
    prop_oneof![Just(0_u8), Just(DECIMALS_MAX), Just(2_u8), 0..=DECIMALS_MAX]
}

fn minor_units() -> impl Strategy<Value = i128> {
    prop_oneof![
        Just(0_i128),
        Just(1),
        Just(-1),
        Just(MINOR_UNITS_MAX),
        Just(-MINOR_UNITS_MAX),
        Just(MINOR_UNITS_MAX - 1),
        Just(-MINOR_UNITS_MAX + 1),
        -1_000_000_i128..=1_000_000,
        -MINOR_UNITS_MAX..=MINOR_UNITS_MAX,
    ]
}

fn amount() -> impl Strategy<Value = Amount> {
    // Every generated pair is valid, so the filter never rejects; it only
    // keeps library-style error handling out of the strategy.
    (minor_units(), decimals()).prop_filter_map("amount out of range", |(units, decimals)| {
        Amount::from_minor_units(units, decimals).ok()
    })
}

fn number_like_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+._e0-9 ]{0,12}",
        "-?[0-9]{1,32}(\\.[0-9]{1,32})?",
        "-?0{0,30}[0-9]{0,4}(\\.[0-9]{0,4}0{0,30})?",
        "-?[1-9][0-9]{8,10}\\.[0-9]{16,20}",
    ]
}

fn u64_edge() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0_u64), Just(1), Just(u64::MAX), any::<u64>()]
}

fn currency_code() -> impl Strategy<Value = CurrencyCode> {
    "[A-Z][A-Z0-9]{1,7}".prop_filter_map("invalid code", |text| CurrencyCode::new(&text).ok())
}

/// Memos of at most 256 bytes, mixing ASCII with 2-, 3- and 4-byte UTF-8,
/// and memos of exactly 256 bytes.
fn memo() -> impl Strategy<Value = String> {
    let character = prop_oneof![
        proptest::char::range('a', 'z'),
        Just('é'),
        Just('€'),
        Just('🌾'),
        any::<char>(),
    ];
    let mixed = vec(character, 0..=MEMO_BYTES_MAX + 4).prop_map(|characters| {
        let mut memo = String::new();
        for character in characters {
            if memo.len() + character.len_utf8() > MEMO_BYTES_MAX {
                break;
            }
            memo.push(character);
        }
        memo
    });
    prop_oneof![
        4 => mixed,
        1 => Just("x".repeat(MEMO_BYTES_MAX)),
        1 => Just(format!("{}x", "€".repeat(85))),
        1 => Just(String::new()),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    let account = || u64_edge().prop_map(AccountId);
    prop_oneof![
        (account(), amount()).prop_map(|(to, amount)| Action::Issue { to, amount }),
        (account(), amount()).prop_map(|(to, amount)| Action::Transfer { to, amount }),
        amount().prop_map(|amount| Action::Redeem { amount }),
        amount().prop_map(|cap| Action::RaiseSupplyCap { cap }),
    ]
}

fn transaction() -> impl Strategy<Value = Transaction> {
    (currency_code(), u64_edge(), u64_edge(), u64_edge(), action(), memo()).prop_map(
        |(currency, source, sequence, timestamp, action, memo)| Transaction {
            currency,
            source: AccountId(source),
            sequence,
            timestamp: Timestamp(timestamp),
            action,
            memo,
        },
    )
}

/// A change to one byte: XOR with a single bit, or with any non-zero mask.
fn byte_change() -> impl Strategy<Value = (Index, u8)> {
    let mask = prop_oneof![(0_u32..8).prop_map(|bit| 1_u8 << bit), 1_u8..=255];
    (any::<Index>(), mask)
}

/// A few random edits to bytes: changed bytes, then a cut or an extension.
#[derive(Debug, Clone)]
struct ByteEdits {
    changes: Vec<(Index, u8)>,
    cut: Option<Index>,
    extension: Vec<u8>,
}

fn byte_edits() -> impl Strategy<Value = ByteEdits> {
    (
        vec((any::<Index>(), any::<u8>()), 0..4),
        proptest::option::of(any::<Index>()),
        vec(any::<u8>(), 0..3),
    )
        .prop_map(|(changes, cut, extension)| ByteEdits { changes, cut, extension })
}

fn apply_byte_edits(mut bytes: Vec<u8>, edits: &ByteEdits) -> Vec<u8> {
    if !bytes.is_empty() {
        for (index, value) in &edits.changes {
            let at = index.index(bytes.len());
            bytes[at] = *value;
        }
    }
    if let Some(cut) = &edits.cut {
        bytes.truncate(cut.index(bytes.len() + 1));
    }
    bytes.extend_from_slice(&edits.extension);
    bytes
}

/// One edit to a text: delete, insert or replace a character.
#[derive(Debug, Clone)]
enum TextEdit {
    Delete(Index),
    Insert(Index, char),
    Replace(Index, char),
}

fn text_edits() -> impl Strategy<Value = Vec<TextEdit>> {
    // Characters that matter to TOML and JSON come up often; any other
    // character sometimes.
    let character = prop_oneof![
        3 => proptest::sample::select(
            &['"', '\'', '[', ']', '{', '}', '=', ',', '.', '-', '#', '\n', '0', '9', 'e', '%']
                [..],
        ),
        1 => any::<char>(),
    ];
    let edit = prop_oneof![
        any::<Index>().prop_map(TextEdit::Delete),
        (any::<Index>(), character.clone()).prop_map(|(at, c)| TextEdit::Insert(at, c)),
        (any::<Index>(), character).prop_map(|(at, c)| TextEdit::Replace(at, c)),
    ];
    vec(edit, 1..=4)
}

fn apply_text_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut characters: Vec<char> = text.chars().collect();
    for edit in edits {
        match edit {
            TextEdit::Delete(at) if !characters.is_empty() => {
                characters.remove(at.index(characters.len()));
            }
            TextEdit::Insert(at, character) => {
                characters.insert(at.index(characters.len() + 1), *character);
            }
            TextEdit::Replace(at, character) if !characters.is_empty() => {
                let at = at.index(characters.len());
                characters[at] = *character;
            }
            _ => {}
        }
    }
    characters.into_iter().collect()
}

fn seconds() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(1_u64),
        Just(59),
        Just(60),
        Just(u64::MAX),
        Just(SECONDS_PER_YEAR),
        (1_u64..=1_000).prop_map(|days| days * SECONDS_PER_DAY),
        (1_u64..=u64::MAX / SECONDS_PER_YEAR).prop_map(|years| years * SECONDS_PER_YEAR),
        1_u64..=u64::MAX,
    ]
}

// ---------------------------------------------------------------------------
// An independent reading of amount text
// ---------------------------------------------------------------------------

/// The minor units that `text` must give with `decimals` decimals, or
/// `None` if it must be refused: read digit by digit from the text, with no
/// `Decimal` involved. The grammar is the documented one: an optional `-`,
/// digits, and optionally a `.` followed by digits.
fn reference_minor_units(text: &str, decimals: u8) -> Option<i128> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    if !digits_only(whole) || (unsigned.contains('.') && !digits_only(fraction)) {
        return None;
    }

    let significant_fraction = fraction.trim_end_matches('0');
    if significant_fraction.len() > usize::from(decimals) {
        return None;
    }
    let padding = "0".repeat(usize::from(decimals) - significant_fraction.len());
    let all_digits = format!("{whole}{significant_fraction}{padding}");
    let trimmed = all_digits.trim_start_matches('0');

    // MINOR_UNITS_MAX is 10^28 - 1, so 29 significant digits are too many.
    if trimmed.len() > 28 {
        return None;
    }
    let magnitude: i128 = if trimmed.is_empty() { 0 } else { trimmed.parse().ok()? };
    Some(if negative { -magnitude } else { magnitude })
}

/// The count of fraction digits up to the last non-zero one.
fn significant_fraction_digits(text: &str) -> usize {
    text.split_once('.').map_or(0, |(_, fraction)| fraction.trim_end_matches('0').len())
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    /// (a) What an amount prints, it parses back to exactly.
    #[test]
    fn amount_display_then_parse_is_identity(amount in amount()) {
        let text = amount.to_string();
        prop_assert_eq!(Amount::parse(&text, amount.decimals()), Ok(amount));
    }

    /// (b) Parsing never panics, accepts only what the independent reading
    /// accepts, with the same value, and never more significant fraction
    /// digits than the currency has. Trailing fraction zeros do not change a
    /// value, and up to 28 other digits fit a `Decimal` exactly, so there
    /// the two readings must agree both ways.
    #[test]
    fn amount_parse_never_rounds(text in number_like_text(), decimals in decimals()) {
        let parsed = Amount::parse(&text, decimals);
        let reference = reference_minor_units(&text, decimals);

        match parsed {
            Ok(amount) => {
                prop_assert!(significant_fraction_digits(&text) <= usize::from(decimals));
                prop_assert_eq!(Some(amount.minor_units()), reference, "{:?}", text);
                prop_assert_eq!(amount.decimals(), decimals);
            }
            Err(error) => {
                let without_trailing_zeros =
                    if text.contains('.') { text.trim_end_matches('0') } else { text.as_str() };
                let digit_count =
                    without_trailing_zeros.chars().filter(char::is_ascii_digit).count();
                if digit_count <= 28 {
                    prop_assert_eq!(reference, None, "{:?} refused: {}", text, error);
                }
            }
        }
    }

    /// (c) Addition and subtraction agree with `i128`, which cannot overflow
    /// on two magnitudes below 10^28, and refuse exactly when the result is
    /// beyond `MINOR_UNITS_MAX`.
    #[test]
    fn amount_arithmetic_matches_i128(
        left in minor_units(),
        right in minor_units(),
        decimals in decimals(),
    ) {
        let a = Amount::from_minor_units(left, decimals).unwrap();
        let b = Amount::from_minor_units(right, decimals).unwrap();
        let outcomes = [(a.checked_add(b), left + right), (a.checked_sub(b), left - right)];
        for (result, exact) in outcomes {
            if exact.abs() <= MINOR_UNITS_MAX {
                prop_assert_eq!(result.map(Amount::minor_units), Ok(exact));
            } else {
                let refused = matches!(result, Err(AmountError::OutOfRange { .. }));
                prop_assert!(refused, "{} gave {:?}", exact, result);
            }
        }
    }

    /// (c) Amounts of two currencies with different decimals never combine.
    #[test]
    fn amounts_with_different_decimals_refuse_to_combine(
        a in amount(),
        units in minor_units(),
        offset in 1..=DECIMALS_MAX,
    ) {
        // Adding 1 to 18 modulo 19 always lands on other decimals.
        let other_decimals = (a.decimals() + offset) % (DECIMALS_MAX + 1);
        let b = Amount::from_minor_units(units, other_decimals).unwrap();
        let mismatch = AmountError::DecimalsMismatch { left: a.decimals(), right: b.decimals() };
        prop_assert_eq!(a.checked_add(b), Err(mismatch.clone()));
        prop_assert_eq!(a.checked_sub(b), Err(mismatch));
    }

    /// (d) The canonical bytes of a transaction decode to the same
    /// transaction, and a signed transaction's wire bytes (the same body,
    /// then key and signature) decode to the same signed transaction, which
    /// verifies and keeps its id.
    #[test]
    fn transaction_bytes_round_trip(transaction in transaction(), seed in any::<[u8; 32]>()) {
        let bytes = transaction.to_bytes().unwrap();
        prop_assert_eq!(Transaction::decode(&bytes), Ok(transaction.clone()));

        let signed = transaction.clone().sign(&SigningKey::from_bytes(&seed)).unwrap();
        let wire = signed.to_bytes().unwrap();
        prop_assert_eq!(wire.len(), bytes.len() + 32 + 64);
        // The wire form starts with exactly the body that was signed.
        prop_assert_eq!(&wire[..bytes.len()], bytes.as_slice());
        let decoded = SignedTransaction::decode(&wire).unwrap();
        prop_assert_eq!(&decoded, &signed);
        prop_assert!(decoded.verify().is_ok());
        prop_assert_eq!(decoded.id(), transaction.id().unwrap());
    }

    /// (e) Any change to one byte of a signed transaction's wire form is
    /// caught: the bytes no longer decode, or the signature no longer
    /// verifies.
    #[test]
    fn changed_wire_bytes_never_verify(
        transaction in transaction(),
        seed in any::<[u8; 32]>(),
        (index, mask) in byte_change(),
    ) {
        let signed = transaction.sign(&SigningKey::from_bytes(&seed)).unwrap();
        let mut wire = signed.to_bytes().unwrap();
        let at = index.index(wire.len());
        wire[at] ^= mask;

        if let Ok(tampered) = SignedTransaction::decode(&wire) {
            prop_assert!(tampered.verify().is_err(), "byte {} ^ {:#04x} still verifies", at, mask);
        }
    }

    /// (f) Arbitrary bytes, and valid encodings with random edits, decode to
    /// an error or to a transaction whose encoding is exactly those bytes:
    /// there is no second spelling of any transaction.
    #[test]
    fn decoding_arbitrary_bytes_is_total_and_canonical(
        random in vec(any::<u8>(), 0..400),
        transaction in transaction(),
        seed in any::<[u8; 32]>(),
        edits in byte_edits(),
    ) {
        let body = apply_byte_edits(transaction.to_bytes().unwrap(), &edits);
        let signed = transaction.sign(&SigningKey::from_bytes(&seed)).unwrap();
        let wire = apply_byte_edits(signed.to_bytes().unwrap(), &edits);

        for bytes in [&random, &body, &wire] {
            if let Ok(decoded) = Transaction::decode(bytes) {
                prop_assert_eq!(&decoded.to_bytes().unwrap(), bytes);
            }
            if let Ok(decoded) = SignedTransaction::decode(bytes) {
                prop_assert_eq!(&decoded.to_bytes().unwrap(), bytes);
                prop_assert_eq!(decoded.id(), decoded.transaction().id().unwrap());
            }
        }
    }

    /// (g) Arbitrary text, arbitrary bytes read lossily, and the example
    /// files with a few characters deleted, inserted or replaced are all
    /// answered with a spec or an error, never a panic. An error names a
    /// path and a one-line problem; a spec keeps the validator's promises.
    #[test]
    fn currency_files_never_panic(
        text in any::<String>(),
        bytes in vec(any::<u8>(), 0..300),
        village_edits in text_edits(),
        timebank_edits in text_edits(),
    ) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        let village = apply_text_edits(VILLAGE_TOML, &village_edits);
        let timebank = apply_text_edits(TIMEBANK_JSON, &timebank_edits);

        let results = [
            CurrencySpec::from_toml_str(&text),
            CurrencySpec::from_json_str(&text),
            CurrencySpec::from_toml_str(&lossy),
            CurrencySpec::from_json_str(&lossy),
            CurrencySpec::from_toml_str(&village),
            CurrencySpec::from_json_str(&village),
            CurrencySpec::from_json_str(&timebank),
            CurrencySpec::from_toml_str(&timebank),
        ];
        for result in results {
            match result {
                Ok(spec) => check_spec_promises(&spec)?,
                Err(error) => {
                    prop_assert!(!error.path.is_empty());
                    prop_assert!(!error.problem.is_empty(), "{:?}", error);
                    prop_assert!(!error.problem.contains('\n'), "{:?}", error);
                }
            }
        }
    }

    /// (h) A period prints in a unit that parses back to the same number of
    /// seconds, for any length from one second to `u64::MAX`.
    #[test]
    fn period_display_then_parse_is_identity(seconds in seconds()) {
        let period = Period::from_seconds(seconds).unwrap();
        let text = period.to_string();
        prop_assert_eq!(Period::parse(&text), Ok(period), "{}", text);

        // Independently of `Period::parse`: the count times the unit's
        // length in seconds is the original length.
        let (count, unit) = text.split_at(text.len() - 1);
        let unit_seconds: u64 = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            "y" => 31_536_000,
            other => return Err(TestCaseError::fail(format!("unit {other:?} in {text:?}"))),
        };
        let length = count.parse::<u64>().ok().and_then(|n| n.checked_mul(unit_seconds));
        prop_assert_eq!(length, Some(seconds));
    }
}

/// The memo limit the strategies are built around is the library's, and it
/// is enforced on both sides of the boundary: 256 bytes encode, 257 do not.
#[test]
fn memo_limit_is_256_bytes() {
    assert_eq!(opencoin_core::tx::MEMO_BYTES_MAX, MEMO_BYTES_MAX);
    let mut transaction = Transaction {
        currency: CurrencyCode::new("VLG").unwrap(),
        source: AccountId(1),
        sequence: 0,
        timestamp: Timestamp(0),
        action: Action::Redeem { amount: Amount::parse("1", 2).unwrap() },
        memo: format!("{}x", "€".repeat(85)),
    };
    assert!(transaction.encode().is_ok());
    transaction.memo.push('x');
    assert!(transaction.encode().is_err());
}

/// What a validated spec promises whatever file it came from: decimals
/// within the limit, unique rule names, at most one demurrage rule, and a
/// demurrage rate strictly between 0 and 1.
fn check_spec_promises(spec: &CurrencySpec) -> Result<(), TestCaseError> {
    prop_assert!(spec.decimals <= DECIMALS_MAX);
    let mut names: Vec<&str> = spec.rules.iter().map(|rule| rule.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    prop_assert_eq!(names.len(), spec.rules.len());
    let demurrage_rules =
        spec.rules.iter().filter(|rule| matches!(rule.kind, RuleKind::Demurrage(_))).count();
    prop_assert!(demurrage_rules <= 1);
    if let Some((_, _, demurrage)) = spec.demurrage() {
        prop_assert!(demurrage.rate > opencoin_core::rust_decimal::Decimal::ZERO);
        prop_assert!(demurrage.rate < opencoin_core::rust_decimal::Decimal::ONE);
        prop_assert_eq!(demurrage.period.seconds() % demurrage.step.seconds(), 0);
    }
    Ok(())
}
