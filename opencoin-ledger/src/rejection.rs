//! Why the ledger refused an operation.

use opencoin_core::{AccountId, Amount, AmountError, CurrencyCode, SpecError, Timestamp};
use opencoin_rules::RuleViolation;
use thiserror::Error;

/// Why an operation was refused. A refused operation changes nothing.
///
/// Each kind of operation runs its checks in a fixed order and answers
/// with the first that fails, so when several apply every node gives the
/// same answer. Variants are listed in roughly that order; where it matters,
/// a variant's doc says when it is checked. Each has a stable numeric
/// [`Rejection::code`] for journals and wire formats; codes are never
/// renumbered, and new variants get new codes.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The operation's time is earlier than the last applied operation's.
    #[error("time went backwards: operation at {at} after the ledger reached {clock}")]
    TimeWentBackwards {
        /// The operation's time.
        at: Timestamp,
        /// The ledger's time.
        clock: Timestamp,
    },
    /// The currency is not in this ledger.
    #[error("currency {0} is unknown")]
    UnknownCurrency(CurrencyCode),
    /// A currency with this code already exists.
    #[error("currency {0} already exists")]
    CurrencyExists(CurrencyCode),
    /// The currency spec cannot be compiled or refers to unknown currencies.
    #[error("invalid currency spec: {0}")]
    InvalidSpec(SpecError),
    /// An account with this id already exists.
    #[error("account {0} already exists")]
    AccountExists(AccountId),
    /// No account has this id.
    #[error("account {0} is unknown")]
    UnknownAccount(AccountId),
    /// The account holds another currency than the transaction's.
    #[error("account {account} holds {holds}, not {transaction}")]
    WrongCurrency {
        /// The account.
        account: AccountId,
        /// The currency it holds.
        holds: CurrencyCode,
        /// The transaction's currency.
        transaction: CurrencyCode,
    },
    /// The signature does not verify (deliberately without detail).
    #[error("the signature does not verify")]
    InvalidSignature,
    /// The transaction is signed by a key that does not own the source.
    #[error("the signer does not own account {account}")]
    SignerNotOwner {
        /// The source account.
        account: AccountId,
    },
    /// The sequence number is not the source account's next one: a replay
    /// of an already used number, or a gap.
    #[error("account {account} expects sequence {expected}, got {got}")]
    SequenceMismatch {
        /// The source account.
        account: AccountId,
        /// The next sequence number it accepts.
        expected: u64,
        /// The number the transaction carries.
        got: u64,
    },
    /// The amount is not valid for this currency or action.
    #[error("bad amount: {0}")]
    BadAmount(AmountError),
    /// Only issuer accounts may issue or raise the cap, and only keys listed
    /// in the spec may own issuer accounts.
    #[error("account {account} is not an issuer of this currency")]
    NotAnIssuer {
        /// The account.
        account: AccountId,
    },
    /// The currency's supply policy does not allow this action.
    #[error("the {policy} supply policy does not allow {action}")]
    ActionNotAllowed {
        /// The policy's name.
        policy: &'static str,
        /// The action refused.
        action: &'static str,
    },
    /// A transfer from an account to itself.
    #[error("account {0} cannot pay itself")]
    AccountsMustDiffer(AccountId),
    /// A new supply cap that does not raise the current one.
    #[error("the new cap {new_cap} does not raise the current cap {current}")]
    CapMustRise {
        /// The current cap.
        current: Amount,
        /// The proposed cap.
        new_cap: Amount,
    },
    /// The payer does not hold enough (issued and basic-income currencies).
    #[error("account {account} holds {balance}, {needed} needed")]
    InsufficientFunds {
        /// The payer.
        account: AccountId,
        /// Its balance after demurrage.
        balance: Amount,
        /// The amount asked for.
        needed: Amount,
    },
    /// A rule of the currency refused.
    #[error(transparent)]
    RuleViolation(Box<RuleViolation>),
    /// A balance or total would leave the representable range.
    #[error("the {what} would overflow")]
    Overflow {
        /// Which balance or total.
        what: &'static str,
    },
    /// No whole income period has passed since the last distribution.
    #[error("no whole income period has passed since {paid_through}")]
    NothingToDistribute {
        /// The time up to which income has been paid.
        paid_through: Timestamp,
    },
    /// An account has more sectors than allowed.
    #[error("{count} sectors is more than the {max} an account may have")]
    TooManySectors {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The transaction cannot be encoded (memo too long).
    #[error("the transaction cannot be encoded: memo over the limit")]
    Unencodable,
    /// The new account's owner key is of small order, so that anyone could
    /// sign for it under the signature rules (see
    /// `opencoin_core::signature`). Checked when an account is opened,
    /// after its sectors and before whether it may be an issuer, and for
    /// each account a new currency declares, after its id.
    #[error("the owner key of account {account} is of small order (anyone could sign for it)")]
    WeakOwnerKey {
        /// The account that was to be opened.
        account: AccountId,
    },
}

impl Rejection {
    /// A stable number for the rejection's kind.
    pub fn code(&self) -> u16 {
        match self {
            Rejection::TimeWentBackwards { .. } => 1,
            Rejection::UnknownCurrency(_) => 2,
            Rejection::CurrencyExists(_) => 3,
            Rejection::InvalidSpec(_) => 4,
            Rejection::AccountExists(_) => 5,
            Rejection::UnknownAccount(_) => 6,
            Rejection::WrongCurrency { .. } => 7,
            Rejection::InvalidSignature => 8,
            Rejection::SignerNotOwner { .. } => 9,
            Rejection::NotAnIssuer { .. } => 10,
            Rejection::ActionNotAllowed { .. } => 11,
            Rejection::SequenceMismatch { .. } => 12,
            Rejection::BadAmount(_) => 13,
            Rejection::AccountsMustDiffer(_) => 14,
            Rejection::CapMustRise { .. } => 15,
            Rejection::InsufficientFunds { .. } => 16,
            Rejection::RuleViolation(_) => 17,
            Rejection::Overflow { .. } => 18,
            Rejection::NothingToDistribute { .. } => 19,
            Rejection::TooManySectors { .. } => 20,
            Rejection::Unencodable => 21,
            Rejection::WeakOwnerKey { .. } => 22,
        }
    }

    /// A short, stable name for the rejection's kind, such as
    /// `insufficient_funds`, for counting and for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Rejection::TimeWentBackwards { .. } => "time_went_backwards",
            Rejection::UnknownCurrency(_) => "unknown_currency",
            Rejection::CurrencyExists(_) => "currency_exists",
            Rejection::InvalidSpec(_) => "invalid_spec",
            Rejection::AccountExists(_) => "account_exists",
            Rejection::UnknownAccount(_) => "unknown_account",
            Rejection::WrongCurrency { .. } => "wrong_currency",
            Rejection::InvalidSignature => "invalid_signature",
            Rejection::SignerNotOwner { .. } => "signer_not_owner",
            Rejection::NotAnIssuer { .. } => "not_an_issuer",
            Rejection::ActionNotAllowed { .. } => "action_not_allowed",
            Rejection::SequenceMismatch { .. } => "sequence_mismatch",
            Rejection::BadAmount(_) => "bad_amount",
            Rejection::AccountsMustDiffer(_) => "accounts_must_differ",
            Rejection::CapMustRise { .. } => "cap_must_rise",
            Rejection::InsufficientFunds { .. } => "insufficient_funds",
            Rejection::RuleViolation(_) => "rule_violation",
            Rejection::Overflow { .. } => "overflow",
            Rejection::NothingToDistribute { .. } => "nothing_to_distribute",
            Rejection::TooManySectors { .. } => "too_many_sectors",
            Rejection::Unencodable => "unencodable",
            Rejection::WeakOwnerKey { .. } => "weak_owner_key",
        }
    }

    /// The violated rule, if a rule refused.
    pub fn violation(&self) -> Option<&RuleViolation> {
        match self {
            Rejection::RuleViolation(violation) => Some(violation),
            _ => None,
        }
    }
}
