//! Currency specifications: the file a community writes to design its money.
//!
//! A spec is read from TOML or JSON into plain serde structures that mirror
//! the file ([`raw`]), and then checked field by field into a
//! [`CurrencySpec`], whose types can only hold valid values. Every error
//! names the field it is about, as a path such as `rules[2].rate`, and says
//! what is wrong with it.
//!
//! Amounts and rates are written as strings (`"12.50"`, `"2%"`, `"0.02"`):
//! a number in a TOML or JSON file would be read as binary floating point
//! first and could arrive changed. Coordinates are plain numbers, since
//! they never touch money.
//!
//! What this module cannot check, because it needs geometry or the other
//! currencies of a constellation, is checked when the spec is compiled into a
//! rule set (polygons crossing themselves) or added to a ledger (exchange
//! links to unknown currencies); those errors use the same [`SpecError`].
//!
//! A complete example lives in `examples/currencies/village.toml`.

use std::collections::BTreeSet;
use std::fmt;

use ed25519_dalek::VerifyingKey;
use rust_decimal::Decimal;
use thiserror::Error;

use crate::amount::parse_plain_decimal;
use crate::ids::decode_hex;
use crate::{
    AccountId, AccountKind, Amount, CurrencyCode, DECIMALS_MAX, Location, Period, SectorCode,
};

/// The largest currency file accepted, in bytes.
pub const SPEC_BYTES_MAX: usize = 1 << 20;

/// The most rules a currency may have.
pub const RULES_PER_CURRENCY_MAX: usize = 256;

/// The most accounts a currency file may declare.
pub const DECLARED_ACCOUNTS_MAX: usize = 4_096;

/// The most bytes (of UTF-8) in a currency, rule or account name or a sector
/// reason.
pub const NAME_BYTES_MAX: usize = 200;

/// A currency file that cannot be used, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {problem}")]
pub struct SpecError {
    /// Where in the file, such as `rules[2].rate`, or `(file)` for the whole.
    pub path: String,
    /// What is wrong, as a sentence fragment that follows the path.
    pub problem: String,
}

impl SpecError {
    /// Builds an error for the field at `path`.
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> SpecError {
        SpecError { path: path.into(), problem: problem.into() }
    }
}

/// A validated currency design.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencySpec {
    /// The currency's code, such as `VLG`.
    pub code: CurrencyCode,
    /// The currency's name for people.
    pub name: String,
    /// Number of decimals of every amount in this currency.
    pub decimals: u8,
    /// How money comes into existence.
    pub supply: SupplyPolicy,
    /// The rules, in file order; a violation names a rule by its position.
    pub rules: Vec<RuleSpec>,
    /// Accounts exempt from every rule (not from the supply policy).
    pub exempt_accounts: BTreeSet<AccountId>,
    /// Accounts declared in the file, opened when the currency is created.
    pub accounts: Vec<DeclaredAccount>,
    /// Links to other currencies. Declared and validated; applying them is
    /// not implemented yet.
    pub exchange_links: Vec<ExchangeLinkSpec>,
    /// The file this spec was read from, kept so that a journal can record
    /// the currency exactly as its community wrote it (see
    /// [`CurrencySpec::source`]). `None` for a spec built by
    /// [`CurrencySpec::from_raw`].
    pub(crate) source: Option<SpecSource>,
}

/// The format of a currency file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFormat {
    /// TOML, read by [`CurrencySpec::from_toml_str`].
    Toml,
    /// JSON, read by [`CurrencySpec::from_json_str`].
    Json,
}

/// The text of a currency file and its format: reading it again gives the
/// same spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSource {
    /// The format the text is in.
    pub format: SpecFormat,
    /// The file's text, exactly as given.
    pub text: String,
}

impl SpecSource {
    /// Reads and validates the text in its format.
    ///
    /// # Errors
    ///
    /// As for [`CurrencySpec::from_toml_str`] or
    /// [`CurrencySpec::from_json_str`]: a [`SpecError`] naming the first
    /// invalid field.
    pub fn parse(&self) -> Result<CurrencySpec, SpecError> {
        match self.format {
            SpecFormat::Toml => CurrencySpec::from_toml_str(&self.text),
            SpecFormat::Json => CurrencySpec::from_json_str(&self.text),
        }
    }
}

/// How money comes into existence.
#[derive(Debug, Clone, PartialEq)]
pub enum SupplyPolicy {
    /// Issued by accounts of kind issuer whose owner key is listed, up to an
    /// optional cap on the supply in circulation. The cap can be raised later
    /// only by a transaction signed by one of these keys.
    Issued {
        /// Keys allowed to own issuer accounts.
        issuers: Vec<VerifyingKey>,
        /// The most money that may be in circulation at once.
        cap: Option<Amount>,
    },
    /// Every member account receives `amount` each `period`, created when the
    /// operator runs a distribution. No one else creates money.
    BasicIncome {
        /// What each member receives per period.
        amount: Amount,
        /// The length of one income period.
        period: Period,
    },
    /// No one issues: members pay by going into credit, so balances always sum
    /// to zero. Each account may go as low as minus `credit_limit`.
    MutualCredit {
        /// How far below zero an account may go.
        credit_limit: Amount,
        /// Whether going past the limit is refused or only warned about.
        enforcement: Enforcement,
    },
}

/// Whether a limit refuses or only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// Going past the limit is refused.
    Hard,
    /// Going past the limit is allowed, with a warning event.
    Soft,
}

/// One rule of a currency, with the accounts it spares.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// The rule's name, unique in the file; defaults to `kind #index`.
    pub name: String,
    /// Kinds of account the rule does not apply to.
    pub exempt_kinds: BTreeSet<AccountKind>,
    /// Accounts the rule does not apply to.
    pub exempt_accounts: BTreeSet<AccountId>,
    /// What the rule does.
    pub kind: RuleKind,
}

/// The families of rule a currency can be designed with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RuleKind {
    /// Payments only between accounts located inside an area.
    Perimeter(PerimeterSpec),
    /// Idle balances melt over time.
    Demurrage(DemurrageSpec),
    /// Payments into or from some sectors are refused (or only some allowed).
    Sectors(SectorRuleSpec),
    /// No account may hold more than `max` after a payment into it.
    BalanceCeiling {
        /// The highest balance allowed.
        max: Amount,
    },
    /// No single payment may move more than `max`.
    PaymentMax {
        /// The largest payment allowed.
        max: Amount,
    },
}

impl RuleKind {
    /// The kind's name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::Perimeter(_) => "perimeter",
            RuleKind::Demurrage(_) => "demurrage",
            RuleKind::Sectors(_) => "sectors",
            RuleKind::BalanceCeiling { .. } => "balance_ceiling",
            RuleKind::PaymentMax { .. } => "payment_max",
        }
    }
}

/// A geographic perimeter.
#[derive(Debug, Clone, PartialEq)]
pub struct PerimeterSpec {
    /// The area inside which the currency circulates.
    pub area: AreaSpec,
    /// Who must be inside it.
    pub applies_to: Party,
}

/// Which side of a payment a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The account paying.
    Payer,
    /// The account being paid.
    Payee,
    /// Both.
    Both,
}

/// An area on the map.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaSpec {
    /// Everything within `radius_km` kilometres (great-circle) of `center`.
    Circle {
        /// The centre.
        center: Location,
        /// The radius in kilometres, positive and finite.
        radius_km: f64,
    },
    /// A polygon with optional holes, read from a GeoJSON `Polygon`.
    Polygon(PolygonSpec),
    /// Several polygons, read from a GeoJSON `MultiPolygon`; a point inside
    /// any of them is inside the area. Kept apart from [`AreaSpec::Polygon`]
    /// so that errors can give the file's own path to a ring.
    MultiPolygon(Vec<PolygonSpec>),
    /// A set of geohash cells; a point inside any cell is inside the area.
    Geohash(Vec<String>),
}

/// One polygon: an exterior ring and holes cut out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolygonSpec {
    /// The outline, at least three distinct points.
    pub exterior: Vec<Location>,
    /// Areas cut out of the outline.
    pub holes: Vec<Vec<Location>>,
}

/// How idle balances melt.
#[derive(Debug, Clone, PartialEq)]
pub struct DemurrageSpec {
    /// The fraction that melts per `period`, above 0 and below 1.
    pub rate: Decimal,
    /// The period the rate is quoted for.
    pub period: Period,
    /// How often melting is compounded within the period.
    pub step: Period,
    /// The part of a balance that never melts.
    pub free_allowance: Amount,
    /// How the melted balance is rounded to whole minor units.
    pub rounding: MeltRounding,
    /// Where melted value goes.
    pub destination: MeltDestination,
}

/// How a melted balance is rounded to minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeltRounding {
    /// The balance is rounded down, so a fraction of a unit always melts.
    /// The default: a holder is never credited a fraction they did not have
    /// the minor unit for.
    Down,
    /// The balance is rounded to the nearest unit, halves away from zero.
    Nearest,
}

/// Where melted value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeltDestination {
    /// Destroyed: the supply in circulation shrinks.
    Burn,
    /// Credited to this account, which must be declared in the file and is
    /// itself spared from melting.
    Account(AccountId),
}

/// A sector rule.
#[derive(Debug, Clone, PartialEq)]
pub struct SectorRuleSpec {
    /// Whether the listed sectors are refused or the only ones allowed.
    pub mode: SectorMode,
    /// The codes, prefixes and ranges listed.
    pub patterns: Vec<SectorPattern>,
    /// Which direction of payment the rule looks at.
    pub direction: SectorDirection,
    /// The community's reason, shown in every refusal.
    pub reason: String,
}

/// Whether a sector list bans or approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectorMode {
    /// The listed sectors are refused.
    Ban,
    /// Only the listed sectors are allowed; an account with no sector matches
    /// no entry.
    Allow,
}

/// Which side of a payment a sector rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectorDirection {
    /// Paying into an account in the sector.
    PayingInto,
    /// Receiving from an account in the sector.
    ReceivingFrom,
    /// Both.
    Both,
}

/// One entry of a sector list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectorPattern {
    /// A code and its whole branch: `D35` covers `D35.11`, `49` covers `4900`.
    Prefix(SectorCode),
    /// An inclusive range of numeric codes, such as merchant category codes
    /// `5000-5599`.
    Range {
        /// The lowest code in the range.
        low: u32,
        /// The highest code in the range.
        high: u32,
    },
}

/// An account declared in the currency file and opened with the currency.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredAccount {
    /// The account's id.
    pub id: AccountId,
    /// A name for people, such as "community fund".
    pub name: String,
    /// What it is for.
    pub kind: AccountKind,
    /// Its owner's key.
    pub owner: VerifyingKey,
    /// Where it is.
    pub location: Option<Location>,
    /// Its trades.
    pub sectors: Vec<SectorCode>,
    /// Money issued to it when the currency is created (issued policy only).
    pub opening_balance: Amount,
}

/// A declared link to another currency.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeLinkSpec {
    /// The other currency.
    pub to: CurrencyCode,
    /// Units of the other currency per unit of this one; positive.
    pub rate: Decimal,
    /// The fraction of each exchanged amount kept as a fee, 0 or more and
    /// below 1.
    pub fee: Decimal,
    /// Which way money may cross the link.
    pub direction: LinkDirection,
    /// The largest single exchange, in this currency.
    pub max_per_payment: Option<Amount>,
    /// The most that may cross per `cap_period`, in this currency.
    pub max_per_period: Option<(Amount, Period)>,
}

/// Which way money may cross an exchange link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkDirection {
    /// From this currency into the other only.
    Out,
    /// From the other currency into this one only.
    In,
    /// Both ways.
    Both,
}

impl CurrencySpec {
    /// Reads and validates a TOML currency file.
    ///
    /// # Errors
    ///
    /// [`SpecError`] naming the first field that is missing, unknown,
    /// malformed or invalid.
    pub fn from_toml_str(text: &str) -> Result<CurrencySpec, SpecError> {
        check_size(text)?;
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|error| SpecError::new("(file)", one_line(&error.to_string())))?;
        let raw: raw::CurrencyFile = serde_path_to_error::deserialize(deserializer)
            .map_err(|error| path_error(error.path().to_string(), error.inner().message()))?;
        let mut spec = CurrencySpec::from_raw(raw)?;
        spec.source = Some(SpecSource { format: SpecFormat::Toml, text: text.to_owned() });
        Ok(spec)
    }

    /// Reads and validates a JSON currency file with the same fields as the
    /// TOML form.
    ///
    /// # Errors
    ///
    /// As for [`CurrencySpec::from_toml_str`].
    pub fn from_json_str(text: &str) -> Result<CurrencySpec, SpecError> {
        check_size(text)?;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let raw: raw::CurrencyFile = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| path_error(error.path().to_string(), &error.inner().to_string()))?;
        deserializer.end().map_err(|error| SpecError::new("(file)", error.to_string()))?;
        let mut spec = CurrencySpec::from_raw(raw)?;
        spec.source = Some(SpecSource { format: SpecFormat::Json, text: text.to_owned() });
        Ok(spec)
    }

    /// The text and format the spec was read from, if it was read by
    /// [`CurrencySpec::from_toml_str`] or [`CurrencySpec::from_json_str`].
    ///
    /// Changing a public field after reading does not change the source;
    /// whoever stores the source (the ledger's journal) reads it again and
    /// compares, so a spec edited in memory is refused there rather than
    /// recorded wrongly.
    pub fn source(&self) -> Option<&SpecSource> {
        self.source.as_ref()
    }

    /// Validates a currency file already read into its raw form. The spec
    /// has no [`CurrencySpec::source`].
    ///
    /// # Errors
    ///
    /// [`SpecError`] naming the first invalid field.
    pub fn from_raw(raw: raw::CurrencyFile) -> Result<CurrencySpec, SpecError> {
        validate::currency(raw)
    }

    /// The named rule of the given kind's family, if any: the demurrage
    /// rule, for example, with its position.
    pub fn demurrage(&self) -> Option<(usize, &RuleSpec, &DemurrageSpec)> {
        self.rules.iter().enumerate().find_map(|(index, rule)| match &rule.kind {
            RuleKind::Demurrage(demurrage) => Some((index, rule, demurrage)),
            _ => None,
        })
    }
}

fn check_size(text: &str) -> Result<(), SpecError> {
    if text.len() > SPEC_BYTES_MAX {
        return Err(SpecError::new(
            "(file)",
            format!("is {} bytes; at most {SPEC_BYTES_MAX} are accepted", text.len()),
        ));
    }
    Ok(())
}

fn path_error(path: String, message: &str) -> SpecError {
    let path = if path.is_empty() || path == "." { "(file)".to_owned() } else { path };
    SpecError::new(path, one_line(message))
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Party::Payer => "payer",
            Party::Payee => "payee",
            Party::Both => "payer and payee",
        })
    }
}

/// The file's structure exactly as written, before validation.
///
/// These types exist so that serde refuses unknown and mistyped fields with
/// the path of the offender; the checks that need more than a type (which
/// fields a rule kind or supply policy takes, ranges, references between
/// fields) are in [`CurrencySpec::from_raw`].
pub mod raw {
    use serde::Deserialize;

    /// A currency file.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(missing_docs)]
    pub struct CurrencyFile {
        pub code: String,
        pub name: String,
        pub decimals: u8,
        pub supply: Supply,
        #[serde(default)]
        pub rules: Vec<Rule>,
        #[serde(default)]
        pub exempt_accounts: Vec<u64>,
        #[serde(default)]
        pub accounts: Vec<Account>,
        #[serde(default)]
        pub exchange_links: Vec<ExchangeLink>,
    }

    /// The supply section: its `policy` and the fields of every policy.
    ///
    /// Read as one flat struct rather than as an enum tagged by `policy`:
    /// serde reads a tagged enum into a buffer first, and an error inside
    /// the buffer could then be placed only at `supply`, not at the field.
    /// Which fields a policy takes, and which it requires, is checked by
    /// [`CurrencySpec::from_raw`](super::CurrencySpec::from_raw).
    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Supply {
        /// `issued`, `basic_income` or `mutual_credit`.
        pub policy: String,
        /// Issued, required: the keys allowed to own issuer accounts, 64 hex
        /// digits each.
        pub issuers: Option<Vec<String>>,
        /// Issued: the most money in circulation at once; no cap if absent.
        pub cap: Option<String>,
        /// Basic income, required: what each member receives per period.
        pub amount: Option<String>,
        /// Basic income, required: the length of one income period, such as
        /// `30d`.
        pub period: Option<String>,
        /// Mutual credit, required: how far below zero an account may go.
        pub credit_limit: Option<String>,
        /// Mutual credit: `hard` (the default) or `soft`.
        pub enforcement: Option<String>,
    }

    /// Accounts a rule spares.
    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(missing_docs)]
    pub struct Exempt {
        #[serde(default)]
        pub kinds: Vec<String>,
        #[serde(default)]
        pub accounts: Vec<u64>,
    }

    /// One rule: its `kind`, the fields every rule has, and the fields of
    /// every kind.
    ///
    /// Read as one flat struct rather than as an enum tagged by `kind`, for
    /// the reason given at [`Supply`]: so that an unknown or mistyped field
    /// is reported as `rules[2].max` and not only as `rules[2]`. Which
    /// fields a kind takes, and which it requires, is checked by
    /// [`CurrencySpec::from_raw`](super::CurrencySpec::from_raw).
    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Rule {
        /// `perimeter`, `demurrage`, `sectors`, `balance_ceiling` or
        /// `payment_max`.
        pub kind: String,
        /// Every kind: the rule's name, unique in the file; `kind #index`
        /// if absent.
        pub name: Option<String>,
        /// Every kind: the accounts the rule spares.
        #[serde(default)]
        pub exempt: Exempt,
        /// Perimeter, required: the area.
        pub area: Option<Area>,
        /// Perimeter: `payer`, `payee` or `both` (the default).
        pub applies_to: Option<String>,
        /// Demurrage, required: the fraction that melts per period, such as
        /// `"2%"` or `"0.02"`.
        pub rate: Option<String>,
        /// Demurrage, required: the period the rate is quoted for, such as
        /// `90d`.
        pub period: Option<String>,
        /// Demurrage: how often melting is compounded: `minute`, `hour`,
        /// `day` or `period` (the default).
        pub step: Option<String>,
        /// Demurrage: the part of a balance that never melts; zero if absent.
        pub free_allowance: Option<String>,
        /// Demurrage: `down` (the default) or `nearest`.
        pub rounding: Option<String>,
        /// Demurrage, required: where melted value goes.
        pub destination: Option<Destination>,
        /// Sectors, required: `ban` or `allow`.
        pub mode: Option<String>,
        /// Sectors, required: codes, prefixes and ranges such as
        /// `5000-5599`.
        pub codes: Option<Vec<String>>,
        /// Sectors: `paying_into` (the default), `receiving_from` or `both`.
        pub direction: Option<String>,
        /// Sectors, required: the community's reason, shown in every refusal.
        pub reason: Option<String>,
        /// Balance ceiling and payment max, required: the limit, an amount.
        pub max: Option<String>,
    }

    /// A perimeter's area: exactly one of its forms.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    #[allow(missing_docs)]
    pub enum Area {
        Circle { center: [f64; 2], radius_km: f64 },
        Geojson(Geometry),
        Geohash(Vec<String>),
    }

    /// A GeoJSON geometry of type `Polygon` or `MultiPolygon`; positions are
    /// `[longitude, latitude]` as GeoJSON requires.
    ///
    /// Read with a small struct of our own rather than the `geojson` crate,
    /// because that crate reads through `serde_json` values and the file may
    /// be TOML.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(missing_docs)]
    pub struct Geometry {
        #[serde(rename = "type")]
        pub kind: String,
        pub coordinates: Coordinates,
    }

    /// Polygon rings, or a list of polygons.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(untagged)]
    #[allow(missing_docs)]
    pub enum Coordinates {
        Polygon(Vec<Vec<[f64; 2]>>),
        MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
    }

    /// Where melted value goes: `"burn"` or `{ account = 7 }`.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    #[allow(missing_docs)]
    pub enum Destination {
        Burn,
        Account(u64),
    }

    /// An account declared in the file.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(missing_docs)]
    pub struct Account {
        pub id: u64,
        pub name: Option<String>,
        pub kind: String,
        pub owner: String,
        pub location: Option<[f64; 2]>,
        #[serde(default)]
        pub sectors: Vec<String>,
        pub opening_balance: Option<String>,
    }

    /// A link to another currency.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(missing_docs)]
    pub struct ExchangeLink {
        pub to: String,
        pub rate: String,
        pub fee: Option<String>,
        pub direction: Option<String>,
        pub max_per_payment: Option<String>,
        pub max_per_period: Option<String>,
        pub cap_period: Option<String>,
    }
}

/// The checks that turn a raw file into a [`CurrencySpec`].
mod validate;

/// Parses a public key written as 64 hex digits. Keys of small order are
/// refused: under the signature rules anyone could sign for them (see
/// [`crate::signature`]).
///
/// # Errors
///
/// A sentence saying why the text is not a usable key.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = decode_hex::<32>(text)
        .ok_or_else(|| format!("{text:?} is not a public key (64 hex digits expected)"))?;
    let key = VerifyingKey::from_bytes(&bytes)
        .map_err(|_| format!("{text:?} is not a valid ed25519 key"))?;
    if key.is_weak() {
        return Err(format!("{text:?} is a key of small order, which anyone could sign for"));
    }
    Ok(key)
}

/// Parses a rate or fraction written as a decimal (`"0.02"`) or a
/// percentage (`"2%"`), exactly.
///
/// # Errors
///
/// A sentence saying why the text is not a rate.
pub fn parse_rate(text: &str) -> Result<Decimal, String> {
    let refuse = || format!("{text:?} is not a rate (write \"2%\" or \"0.02\")");
    match text.strip_suffix('%') {
        Some(percent) => {
            // Dividing by 100 is moving the decimal point two places, done
            // on the scale so that it is exact: a percentage with too many
            // digits to shift is refused rather than rounded.
            let value = parse_plain_decimal(percent).map_err(|_| refuse())?;
            Decimal::try_from_i128_with_scale(value.mantissa(), value.scale() + 2)
                .map_err(|_| refuse())
        }
        None => parse_plain_decimal(text).map_err(|_| refuse()),
    }
}

const _: () = assert!(DECIMALS_MAX >= 8);

#[cfg(test)]
mod rate_tests {
    use super::*;

    #[test]
    fn percentages_shift_exactly_or_are_refused() {
        // 2% is 2/100 = 0.02; 0.5% is 0.005; 7.25% is 0.0725.
        for (text, expected) in [("2%", "0.02"), ("0.5%", "0.005"), ("7.25%", "0.0725")] {
            assert_eq!(parse_rate(text), Ok(expected.parse::<Decimal>().unwrap()), "{text}");
        }
        // 27 decimals as a percentage would need 29 as a fraction; a Decimal
        // holds 28, so it is refused instead of rounded.
        assert!(parse_rate("0.123456789012345678901234567%").is_err());
        assert_eq!(parse_rate("0.02"), Ok(Decimal::new(2, 2)));
    }
}
