//! Canonical bytes of operations and outcomes, as the journal stores them.
//!
//! The layouts are tabled in the [journal module docs](super). Every value
//! has exactly one encoding, integers are big-endian, and the decoder reads
//! untrusted bytes: it checks every length before using it, refuses trailing
//! bytes and never panics, whatever it is given.

use opencoin_core::bytes::{ByteReader, Truncated};
use opencoin_core::ed25519_dalek::VerifyingKey;
use opencoin_core::spec::{SPEC_BYTES_MAX, SpecFormat, SpecSource};
use opencoin_core::{
    AccountId, AccountKind, Amount, CurrencyCode, Location, SectorCode, SignedTransaction,
    Timestamp,
};
use opencoin_rules::Warning;
use thiserror::Error;

use crate::ledger::Receipt;
use crate::operation::{OpenAccount, Operation, SECTORS_PER_ACCOUNT_MAX, UpdateAccount};

/// The magic bytes that open every encoded operation.
pub const OPERATION_MAGIC: [u8; 4] = *b"OCOP";

/// The operation encoding version written by this library.
pub const OPERATION_VERSION: u8 = 1;

const TAG_CREATE_CURRENCY: u8 = 1;
const TAG_OPEN_ACCOUNT: u8 = 2;
const TAG_UPDATE_ACCOUNT: u8 = 3;
const TAG_SUBMIT: u8 = 4;
const TAG_DISTRIBUTE_INCOME: u8 = 5;

const FORMAT_TOML: u8 = 1;
const FORMAT_JSON: u8 = 2;

const OUTCOME_APPLIED: u8 = 1;
const OUTCOME_APPLIED_WITH_WARNING: u8 = 2;

const WARNING_CREDIT_LIMIT_EXCEEDED: u8 = 1;

/// Why an operation or outcome cannot be encoded for the journal. Nothing
/// is applied when this happens.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The currency spec was not read from a file, so there is no source
    /// text to record (see `CurrencySpec::source`).
    #[error(
        "currency {0} has no source text to journal (read it with from_toml_str or from_json_str)"
    )]
    SpecWithoutSource(CurrencyCode),
    /// The spec was changed in memory after it was read: its source text no
    /// longer reads back to it, so recording the text would replay another
    /// currency.
    #[error("currency {0} was changed after it was read; its source text no longer matches")]
    SpecEditedAfterReading(CurrencyCode),
    /// The transaction cannot be encoded (memo over the limit).
    #[error("the transaction cannot be encoded: {0}")]
    Transaction(opencoin_core::tx::EncodeError),
    /// A warning kind this version does not know how to record.
    #[error("the warning {0} has no journal encoding in this version")]
    UnknownWarning(String),
}

/// Why bytes could not be read as an operation or outcome.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The bytes end before a field does.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// The bytes do not start with the magic of what they should be (`OCOP`
    /// for an operation, `OCSNAPSH` for a snapshot).
    #[error("the bytes do not start with the magic {expected}")]
    MagicMismatch {
        /// The magic expected, as text.
        expected: &'static str,
    },
    /// A version this library does not read.
    #[error("operation encoding version {0} is not supported (this library reads version 1)")]
    UnsupportedVersion(u8),
    /// A tag (operation, outcome, warning, format, option) that is not known.
    #[error("{what} tag {tag} is unknown")]
    UnknownTag {
        /// Which kind of tag.
        what: &'static str,
        /// The tag read.
        tag: u8,
    },
    /// A field holds a value its type refuses.
    #[error("the {field} is invalid: {problem}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong, with the value.
        problem: String,
    },
    /// Bytes are left after the last field.
    #[error("{0} bytes are left over after the last field")]
    TrailingBytes(usize),
}

/// Appends the canonical bytes of `operation` to `out`.
///
/// # Errors
///
/// [`EncodeError`] if the operation has no canonical form (a spec without
/// source text, or edited after reading; a transaction whose memo is too
/// long). `out` may then hold part of the encoding.
pub fn encode_operation(operation: &Operation, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.extend_from_slice(&OPERATION_MAGIC);
    out.push(OPERATION_VERSION);
    match operation {
        Operation::CreateCurrency { spec, at } => {
            let source = spec.source().ok_or(EncodeError::SpecWithoutSource(spec.code))?;

            // Public fields can be changed after reading; recording a text
            // that reads back to another currency would break replay.
            let reread =
                source.parse().map_err(|_| EncodeError::SpecEditedAfterReading(spec.code))?;
            if reread != **spec {
                return Err(EncodeError::SpecEditedAfterReading(spec.code));
            }

            out.push(TAG_CREATE_CURRENCY);
            out.extend_from_slice(&at.seconds().to_be_bytes());
            out.push(match source.format {
                SpecFormat::Toml => FORMAT_TOML,
                SpecFormat::Json => FORMAT_JSON,
            });
            out.extend_from_slice(&(source.text.len() as u32).to_be_bytes());
            out.extend_from_slice(source.text.as_bytes());
        }
        Operation::OpenAccount(open) => {
            out.push(TAG_OPEN_ACCOUNT);
            out.extend_from_slice(&open.id.0.to_be_bytes());
            put_currency(out, open.currency);
            out.extend_from_slice(open.owner.as_bytes());
            out.push(open.kind.code());
            put_location(out, open.location);
            put_sectors(out, &open.sectors);
            out.extend_from_slice(&open.at.seconds().to_be_bytes());
        }
        Operation::UpdateAccount(update) => {
            out.push(TAG_UPDATE_ACCOUNT);
            out.extend_from_slice(&update.id.0.to_be_bytes());
            put_location(out, update.location);
            put_sectors(out, &update.sectors);
            out.extend_from_slice(&update.at.seconds().to_be_bytes());
        }
        Operation::Submit(signed) => {
            out.push(TAG_SUBMIT);
            signed.append_to(out).map_err(EncodeError::Transaction)?;
        }
        Operation::DistributeIncome { currency, at } => {
            out.push(TAG_DISTRIBUTE_INCOME);
            put_currency(out, *currency);
            out.extend_from_slice(&at.seconds().to_be_bytes());
        }
    }
    Ok(())
}

/// Reads an operation from exactly `bytes`.
///
/// # Errors
///
/// A [`CodecError`] naming what is wrong; never a panic, whatever the bytes.
pub fn decode_operation(bytes: &[u8]) -> Result<Operation, CodecError> {
    let mut reader = Reader::new(bytes);
    if reader.array::<4>("operation magic")? != OPERATION_MAGIC {
        return Err(CodecError::MagicMismatch { expected: "OCOP" });
    }
    let version = reader.u8("operation version")?;
    if version != OPERATION_VERSION {
        return Err(CodecError::UnsupportedVersion(version));
    }

    let operation = match reader.u8("operation tag")? {
        TAG_CREATE_CURRENCY => {
            let at = Timestamp(reader.u64("time")?);
            let format = match reader.u8("spec format")? {
                FORMAT_TOML => SpecFormat::Toml,
                FORMAT_JSON => SpecFormat::Json,
                tag => return Err(CodecError::UnknownTag { what: "spec format", tag }),
            };
            let len = reader.u32("spec length")? as usize;
            if len > SPEC_BYTES_MAX {
                let problem = format!("{len} bytes is over the {SPEC_BYTES_MAX}-byte limit");
                return Err(CodecError::Invalid { field: "spec text", problem });
            }
            let text = reader.take(len, "spec text")?;
            let text = std::str::from_utf8(text).map_err(|error| invalid("spec text", error))?;
            let source = SpecSource { format, text: text.to_owned() };
            let spec = source.parse().map_err(|error| invalid("spec text", error))?;
            Operation::CreateCurrency { spec: Box::new(spec), at }
        }
        TAG_OPEN_ACCOUNT => {
            let id = AccountId(reader.u64("account id")?);
            let currency = reader.currency()?;
            let owner = reader.array::<32>("owner key")?;
            let owner =
                VerifyingKey::from_bytes(&owner).map_err(|error| invalid("owner key", error))?;
            let kind = reader.u8("account kind")?;
            let kind = AccountKind::from_code(kind)
                .ok_or(CodecError::UnknownTag { what: "account kind", tag: kind })?;
            let location = reader.location()?;
            let sectors = reader.sectors()?;
            let at = Timestamp(reader.u64("time")?);
            Operation::OpenAccount(OpenAccount { id, currency, owner, kind, location, sectors, at })
        }
        TAG_UPDATE_ACCOUNT => {
            let id = AccountId(reader.u64("account id")?);
            let location = reader.location()?;
            let sectors = reader.sectors()?;
            let at = Timestamp(reader.u64("time")?);
            Operation::UpdateAccount(UpdateAccount { id, location, sectors, at })
        }
        TAG_SUBMIT => {
            let wire = reader.rest();
            let signed =
                SignedTransaction::decode(wire).map_err(|error| invalid("transaction", error))?;
            Operation::Submit(signed)
        }
        TAG_DISTRIBUTE_INCOME => {
            let currency = reader.currency()?;
            let at = Timestamp(reader.u64("time")?);
            Operation::DistributeIncome { currency, at }
        }
        tag => return Err(CodecError::UnknownTag { what: "operation", tag }),
    };
    reader.finish()?;
    Ok(operation)
}

/// Appends the canonical bytes of an applied operation's outcome.
///
/// # Errors
///
/// [`EncodeError::UnknownWarning`] for a warning kind added to the rules
/// after this encoding was defined.
pub fn encode_outcome(warning: Option<&Warning>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match warning {
        None => out.push(OUTCOME_APPLIED),
        Some(Warning::CreditLimitExceeded { account, balance_after, floor }) => {
            out.push(OUTCOME_APPLIED_WITH_WARNING);
            out.push(WARNING_CREDIT_LIMIT_EXCEEDED);
            out.extend_from_slice(&account.0.to_be_bytes());
            put_amount(out, *balance_after);
            put_amount(out, *floor);
        }
        #[allow(unreachable_patterns)]
        Some(other) => return Err(EncodeError::UnknownWarning(other.to_string())),
    }
    Ok(())
}

/// Reads an outcome from the front of `reader`.
pub(crate) fn decode_outcome(reader: &mut Reader<'_>) -> Result<Receipt, CodecError> {
    match reader.u8("outcome tag")? {
        OUTCOME_APPLIED => Ok(Receipt::Applied { warning: None }),
        OUTCOME_APPLIED_WITH_WARNING => match reader.u8("warning tag")? {
            WARNING_CREDIT_LIMIT_EXCEEDED => {
                let account = AccountId(reader.u64("warned account")?);
                let balance_after = reader.amount("warned balance")?;
                let floor = reader.amount("warned floor")?;
                let warning = Warning::CreditLimitExceeded { account, balance_after, floor };
                Ok(Receipt::Applied { warning: Some(Box::new(warning)) })
            }
            tag => Err(CodecError::UnknownTag { what: "warning", tag }),
        },
        tag => Err(CodecError::UnknownTag { what: "outcome", tag }),
    }
}

fn invalid(field: &'static str, error: impl std::fmt::Display) -> CodecError {
    CodecError::Invalid { field, problem: error.to_string() }
}

pub(crate) fn put_currency(out: &mut Vec<u8>, code: CurrencyCode) {
    out.push(code.as_bytes().len() as u8);
    out.extend_from_slice(code.as_bytes());
}

pub(crate) fn put_amount(out: &mut Vec<u8>, amount: Amount) {
    out.push(amount.decimals());
    out.extend_from_slice(&amount.minor_units().to_be_bytes());
}

pub(crate) fn put_location(out: &mut Vec<u8>, location: Option<Location>) {
    match location {
        None => out.push(0),
        Some(location) => {
            out.push(1);
            out.extend_from_slice(&location.latitude().to_bits().to_be_bytes());
            out.extend_from_slice(&location.longitude().to_bits().to_be_bytes());
        }
    }
}

pub(crate) fn put_sectors(out: &mut Vec<u8>, sectors: &[SectorCode]) {
    // The ledger refuses more than SECTORS_PER_ACCOUNT_MAX sectors, so only
    // applied operations (which are all the journal records) fit in a byte.
    out.push(sectors.len().min(usize::from(u8::MAX)) as u8);
    for sector in sectors.iter().take(usize::from(u8::MAX)) {
        out.push(sector.as_str().len() as u8);
        out.extend_from_slice(sector.as_str().as_bytes());
    }
}

/// Reads journal encodings: the shared bounds-checked cursor of
/// `opencoin_core::bytes`, plus the journal's own field types.
pub(crate) struct Reader<'a> {
    bytes: ByteReader<'a>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes: ByteReader::new(bytes) }
    }

    pub(crate) fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], CodecError> {
        Ok(self.bytes.take(len, field)?)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        self.bytes.rest()
    }

    pub(crate) fn finish(&self) -> Result<(), CodecError> {
        match self.bytes.remaining() {
            0 => Ok(()),
            left => Err(CodecError::TrailingBytes(left)),
        }
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], CodecError> {
        Ok(self.bytes.array(field)?)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, CodecError> {
        Ok(self.bytes.u8(field)?)
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, CodecError> {
        Ok(self.bytes.u16(field)?)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, CodecError> {
        Ok(self.bytes.u32(field)?)
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, CodecError> {
        Ok(self.bytes.u64(field)?)
    }

    pub(crate) fn i128(&mut self, field: &'static str) -> Result<i128, CodecError> {
        Ok(self.bytes.i128(field)?)
    }

    pub(crate) fn bool(&mut self, field: &'static str) -> Result<bool, CodecError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(CodecError::UnknownTag { what: field, tag }),
        }
    }

    pub(crate) fn currency(&mut self) -> Result<CurrencyCode, CodecError> {
        let len = usize::from(self.u8("currency code length")?);
        let code = self.take(len, "currency code")?;
        let code = std::str::from_utf8(code).map_err(|error| invalid("currency code", error))?;
        CurrencyCode::new(code).map_err(|error| invalid("currency code", error))
    }

    pub(crate) fn amount(&mut self, field: &'static str) -> Result<Amount, CodecError> {
        let decimals = self.u8(field)?;
        let minor_units = self.i128(field)?;
        Amount::from_minor_units(minor_units, decimals).map_err(|error| invalid(field, error))
    }

    pub(crate) fn location(&mut self) -> Result<Option<Location>, CodecError> {
        if !self.bool("location flag")? {
            return Ok(None);
        }
        let latitude = f64::from_bits(self.u64("latitude")?);
        let longitude = f64::from_bits(self.u64("longitude")?);
        let location =
            Location::new(latitude, longitude).map_err(|error| invalid("location", error))?;
        Ok(Some(location))
    }

    pub(crate) fn sectors(&mut self) -> Result<Vec<SectorCode>, CodecError> {
        let count = usize::from(self.u8("sector count")?);
        if count > SECTORS_PER_ACCOUNT_MAX {
            let problem = format!("{count} is more than the {SECTORS_PER_ACCOUNT_MAX} allowed");
            return Err(CodecError::Invalid { field: "sector count", problem });
        }
        let mut sectors = Vec::with_capacity(count);
        for _ in 0..count {
            let len = usize::from(self.u8("sector length")?);
            let text = self.take(len, "sector")?;
            let text = std::str::from_utf8(text).map_err(|error| invalid("sector", error))?;
            sectors.push(SectorCode::new(text).map_err(|error| invalid("sector", error))?);
        }
        Ok(sectors)
    }
}
