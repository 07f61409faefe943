//! Invalid currency files must be refused with an error that a currency
//! designer can act on: the path of the field at fault and a problem text
//! that says what is wrong, with the offending value where there is one.
//!
//! Each row is a whole small currency file with one mistake, the path of
//! the field that holds the mistake (read from the row's text, not from the
//! loader's output) and a fragment the problem text must contain. Most rows
//! are TOML; a few are JSON, which goes through the same checks. Mistakes
//! that need geometry (a polygon crossing itself) or other currencies (an
//! exchange link to an unknown code) are found by the rules and ledger
//! crates, so they are not here.
//!
//! The row texts share a shape: code `TST`, two decimals and, where no row
//! needs otherwise, a mutual-credit supply, which needs no keys.

use opencoin_core::CurrencySpec;

/// (what is wrong, file text, expected path, fragment of the problem)
type Row = (&'static str, &'static str, &'static str, &'static str);

/// Reads a file and flattens an error to `path: problem`.
type Loader = fn(&str) -> Result<CurrencySpec, String>;

const TOML_ROWS: &[Row] = &[
    (
        "negative demurrage rate",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "-2%"
period = "90d"
destination = "burn"
"#,
        "rules[0].rate",
        "\"-2%\"",
    ),
    (
        "demurrage rate of 100%",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "100%"
period = "90d"
destination = "burn"
"#,
        "rules[0].rate",
        "\"100%\" must be below 100%",
    ),
    (
        "demurrage rate above 100%, as a fraction",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "1.5"
period = "90d"
destination = "burn"
"#,
        "rules[0].rate",
        "\"1.5\"",
    ),
    (
        "zero demurrage rate",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "0%"
period = "90d"
destination = "burn"
"#,
        "rules[0].rate",
        "\"0%\" must be above zero",
    ),
    (
        "unknown top-level field",
        r#"
code = "TST"
name = "test"
decimals = 2
colour = "green"
supply = { policy = "mutual_credit", credit_limit = "100.00" }
"#,
        "colour",
        "colour",
    ),
    (
        "unknown rule kind",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "interest"
rate = "2%"
"#,
        "rules[0].kind",
        "\"interest\" is not a rule kind (known: perimeter, demurrage, sectors, balance_ceiling",
    ),
    (
        "unknown supply policy",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "gift", amount = "5.00" }
"#,
        "supply.policy",
        "\"gift\" is not a supply policy (known: issued, basic_income, mutual_credit)",
    ),
    (
        "19 decimals, one more than allowed",
        r#"
code = "TST"
name = "test"
decimals = 19
supply = { policy = "mutual_credit", credit_limit = "100" }
"#,
        "decimals",
        "19",
    ),
    (
        "unknown field in a rule",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "payment_max"
max = "10.00"
colour = "red"
"#,
        "rules[0].colour",
        "colour",
    ),
    (
        "a float where an amount string is required (rule)",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "payment_max"
max = 10.5
"#,
        "rules[0].max",
        "string",
    ),
    (
        "a field of another rule kind",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "balance_ceiling"
max = "100.00"
rate = "2%"
"#,
        "rules[0].rate",
        "not a field of a balance_ceiling rule",
    ),
    (
        "rule without a field its kind requires",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "2%"
destination = "burn"
"#,
        "rules[0].period",
        "required for a demurrage rule",
    ),
    (
        "rule without a kind",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
max = "10.00"
"#,
        "rules[0]",
        "kind",
    ),
    (
        "text where a radius in kilometres is required",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "perimeter"
area = { circle = { center = [44.62, 6.78], radius_km = "3" } }
"#,
        "rules[0].area.circle.radius_km",
        "\"3\"",
    ),
    (
        "circle centre with latitude 95",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "perimeter"
area = { circle = { center = [95.0, 6.78], radius_km = 3.0 } }
"#,
        "rules[0].area.circle.center",
        "[95, 6.78] is not a [latitude, longitude] position",
    ),
    (
        "unknown field in the supply",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00", colour = "red" }
"#,
        "supply.colour",
        "colour",
    ),
    (
        "a field of another supply policy",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00", cap = "500.00" }
"#,
        "supply.cap",
        "not a field of the mutual_credit policy",
    ),
    (
        "supply without a field its policy requires",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "basic_income", amount = "50.00" }
"#,
        "supply.period",
        "required for the basic_income policy",
    ),
    (
        "cap with more decimals than the currency",
        r#"
code = "TST"
name = "test"
decimals = 2
[supply]
policy = "issued"
issuers = ["752fc396d75c3609b862a0c0e8ed13e3c39388c22f465d4c567b152d40a007be"]
cap = "10.001"
"#,
        "supply.cap",
        "10.001",
    ),
    (
        "a float where an amount string is required (account)",
        r#"
code = "TST"
name = "test"
decimals = 2
[supply]
policy = "issued"
issuers = ["752fc396d75c3609b862a0c0e8ed13e3c39388c22f465d4c567b152d40a007be"]
[[accounts]]
id = 1
kind = "issuer"
owner = "752fc396d75c3609b862a0c0e8ed13e3c39388c22f465d4c567b152d40a007be"
opening_balance = 12.5
"#,
        "accounts[0].opening_balance",
        "string",
    ),
    (
        "polygon ring with two distinct points",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "perimeter"
[rules.area.geojson]
type = "Polygon"
coordinates = [[[6.80, 44.60], [6.90, 44.60], [6.80, 44.60]]]
"#,
        "rules[0].area.geojson.coordinates[0]",
        "2 distinct points",
    ),
    (
        "polygon point with latitude 95",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "perimeter"
[rules.area.geojson]
type = "Polygon"
coordinates = [[[6.80, 44.60], [6.90, 95.0], [6.85, 44.70]]]
"#,
        // GeoJSON writes [longitude, latitude]: the message should repeat the
        // position in that order, not swap it.
        "rules[0].area.geojson.coordinates[0][1]",
        "[6.9, 95] is not a [longitude, latitude] position",
    ),
    (
        "circle with zero radius",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "perimeter"
area = { circle = { center = [44.62, 6.78], radius_km = 0.0 } }
"#,
        "rules[0].area.circle.radius_km",
        "positive",
    ),
    (
        "geohash cell with a letter outside base 32",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "perimeter"
area = { geohash = ["u0m", "u0a"] }
"#,
        "rules[0].area.geohash[1]",
        "\"u0a\"",
    ),
    (
        "cap below the opening balances",
        r#"
code = "TST"
name = "test"
decimals = 2
[supply]
policy = "issued"
issuers = ["752fc396d75c3609b862a0c0e8ed13e3c39388c22f465d4c567b152d40a007be"]
cap = "100.00"
[[accounts]]
id = 1
kind = "issuer"
owner = "752fc396d75c3609b862a0c0e8ed13e3c39388c22f465d4c567b152d40a007be"
opening_balance = "150.00"
"#,
        "supply.cap",
        "150.00",
    ),
    (
        "demurrage destination naming an undeclared account",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "2%"
period = "90d"
destination = { account = 9 }
"#,
        "rules[0].destination.account",
        "account 9",
    ),
    (
        "step of an hour does not divide a period of 90 minutes",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "2%"
period = "90m"
step = "hour"
destination = "burn"
"#,
        "rules[0].step",
        "does not divide",
    ),
    (
        "unknown step",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "2%"
period = "90d"
step = "week"
destination = "burn"
"#,
        "rules[0].step",
        "\"week\"",
    ),
    (
        "two rules with the same name",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "payment_max"
name = "limit"
max = "10.00"
[[rules]]
kind = "balance_ceiling"
name = "limit"
max = "100.00"
"#,
        "rules[1].name",
        "\"limit\"",
    ),
    (
        "two demurrage rules",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "demurrage"
rate = "2%"
period = "90d"
destination = "burn"
[[rules]]
kind = "demurrage"
rate = "1%"
period = "30d"
destination = "burn"
"#,
        "rules[1]",
        "one demurrage",
    ),
    (
        "sector range running backwards",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "sectors"
mode = "ban"
codes = ["5983", "5599-5000"]
reason = "no fuel"
"#,
        "rules[0].codes[1]",
        "5599-5000",
    ),
    (
        "empty sector list",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[rules]]
kind = "sectors"
mode = "ban"
codes = []
reason = "no fuel"
"#,
        "rules[0].codes",
        "at least one",
    ),
    (
        "lowercase currency code",
        r#"
code = "tst"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
"#,
        "code",
        "\"tst\"",
    ),
    (
        "exchange link to itself",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[exchange_links]]
to = "TST"
rate = "1"
"#,
        "exchange_links[0].to",
        "itself",
    ),
    (
        "exchange fee of 100%",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[exchange_links]]
to = "EUR"
rate = "1"
fee = "100%"
"#,
        "exchange_links[0].fee",
        "\"100%\" must be at least 0 and below 100%",
    ),
    (
        "exchange link with max_per_period but no cap_period",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[exchange_links]]
to = "EUR"
rate = "1"
max_per_period = "500.00"
"#,
        "exchange_links[0].cap_period",
        "max_per_period",
    ),
    (
        "issuer account owned by a key not in supply.issuers",
        r#"
code = "TST"
name = "test"
decimals = 2
[supply]
policy = "issued"
issuers = ["752fc396d75c3609b862a0c0e8ed13e3c39388c22f465d4c567b152d40a007be"]
[[accounts]]
id = 1
kind = "issuer"
owner = "9f153ac7454876057cbe0e362b4e48bbdd0ee5d27cd530b3cac68944aabaf8c3"
"#,
        "accounts[0].owner",
        "supply.issuers",
    ),
    (
        "opening balance under mutual credit",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "mutual_credit", credit_limit = "100.00" }
[[accounts]]
id = 1
kind = "member"
owner = "9f153ac7454876057cbe0e362b4e48bbdd0ee5d27cd530b3cac68944aabaf8c3"
opening_balance = "20.00"
"#,
        "accounts[0].opening_balance",
        "issued",
    ),
    (
        "issuer key too short to be a public key",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "issued", issuers = ["752fc396d75c3609"] }
"#,
        "supply.issuers[0]",
        "\"752fc396d75c3609\"",
    ),
    (
        // 64 hex digits, but y = 2 is no curve point: (y^2 - 1) / (d y^2 + 1)
        // is not a square modulo 2^255 - 19 (checked by Euler's criterion).
        "issuer key that is not a point of the curve",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "issued", issuers = [
    "0200000000000000000000000000000000000000000000000000000000000000",
] }
"#,
        "supply.issuers[0]",
        "not a valid ed25519 key",
    ),
    (
        // y = 1 is the encoding of the identity point, whose order is 1:
        // the cofactored signature equation holds for it with any R = [S]B,
        // so anyone could sign as this issuer.
        "issuer key of small order (the identity point)",
        r#"
code = "TST"
name = "test"
decimals = 2
supply = { policy = "issued", issuers = [
    "0100000000000000000000000000000000000000000000000000000000000000",
] }
"#,
        "supply.issuers[0]",
        "small order",
    ),
];

const JSON_ROWS: &[Row] = &[
    (
        "a float where an amount string is required (supply)",
        r#"{
  "code": "TST", "name": "test", "decimals": 2,
  "supply": { "policy": "mutual_credit", "credit_limit": 100.5 }
}"#,
        "supply.credit_limit",
        "string",
    ),
    (
        "a field of another rule kind",
        r#"{
  "code": "TST", "name": "test", "decimals": 2,
  "supply": { "policy": "mutual_credit", "credit_limit": "100.00" },
  "rules": [
    { "kind": "payment_max", "max": "10.00" },
    { "kind": "sectors", "mode": "ban", "codes": ["5983"], "reason": "fuel", "max": "5.00" }
  ]
}"#,
        "rules[1].max",
        "not a field of a sectors rule",
    ),
    (
        "unknown top-level field",
        r#"{
  "code": "TST", "name": "test", "decimals": 2, "colour": "green",
  "supply": { "policy": "mutual_credit", "credit_limit": "100.00" }
}"#,
        "colour",
        "colour",
    ),
    (
        "negative demurrage rate",
        r#"{
  "code": "TST", "name": "test", "decimals": 2,
  "supply": { "policy": "mutual_credit", "credit_limit": "100.00" },
  "rules": [
    { "kind": "demurrage", "rate": "-0.5%", "period": "30d", "destination": "burn" }
  ]
}"#,
        "rules[0].rate",
        "\"-0.5%\"",
    ),
    (
        "account owner with non-hex digits",
        r#"{
  "code": "TST", "name": "test", "decimals": 2,
  "supply": { "policy": "mutual_credit", "credit_limit": "100.00" },
  "accounts": [
    {
      "id": 4, "kind": "member",
      "owner": "zz153ac7454876057cbe0e362b4e48bbdd0ee5d27cd530b3cac68944aabaf8c3"
    }
  ]
}"#,
        "accounts[0].owner",
        "zz153ac",
    ),
    (
        "sector code in lowercase",
        r#"{
  "code": "TST", "name": "test", "decimals": 2,
  "supply": { "policy": "mutual_credit", "credit_limit": "100.00" },
  "rules": [
    { "kind": "sectors", "mode": "allow", "codes": ["P85", "q88"], "reason": "care" }
  ]
}"#,
        "rules[0].codes[1]",
        "\"q88\"",
    ),
];

/// Loads every row with `load` and collects, rather than stops at, the rows
/// whose outcome differs from the table, so one run shows them all.
fn mismatches(rows: &[Row], load: Loader) -> Vec<String> {
    let mut found = Vec::new();
    for &(description, text, path, fragment) in rows {
        match load(text) {
            Ok(_) => found.push(format!("{description}: accepted")),
            Err(error) => {
                let expected = format!("{path}: ");
                let path_ok = error.starts_with(&expected);
                // The fragment must be in the problem, not merely in the path
                // (for an unknown field the path names the field too).
                let problem = error.strip_prefix(&expected);
                let fragment_ok = problem.is_some_and(|problem| problem.contains(fragment));
                if !(path_ok && fragment_ok) {
                    found.push(format!(
                        "{description}: got {error:?}, expected path {path:?} with {fragment:?}"
                    ));
                }
            }
        }
    }
    found
}

fn load_toml(text: &str) -> Result<CurrencySpec, String> {
    CurrencySpec::from_toml_str(text).map_err(|error| format!("{}: {}", error.path, error.problem))
}

fn load_json(text: &str) -> Result<CurrencySpec, String> {
    CurrencySpec::from_json_str(text).map_err(|error| format!("{}: {}", error.path, error.problem))
}

#[test]
fn invalid_toml_files_name_the_field_and_the_problem() {
    assert!(TOML_ROWS.len() >= 22);
    let found = mismatches(TOML_ROWS, load_toml);
    assert!(found.is_empty(), "{} rows differ:\n{}", found.len(), found.join("\n"));
}

#[test]
fn invalid_json_files_name_the_field_and_the_problem() {
    let found = mismatches(JSON_ROWS, load_json);
    assert!(found.is_empty(), "{} rows differ:\n{}", found.len(), found.join("\n"));
}

/// A control for the table: each row's file with its mistake undone loads,
/// so the rows fail for the mistake they name and not for a typo elsewhere.
#[test]
fn the_rows_differ_from_a_valid_file_only_by_their_mistake() {
    let fixes: &[(&str, &str, &str)] = &[
        ("negative demurrage rate", r#"rate = "-2%""#, r#"rate = "2%""#),
        ("zero demurrage rate", r#"rate = "0%""#, r#"rate = "2%""#),
        ("unknown top-level field", "colour = \"green\"\n", ""),
        ("19 decimals, one more than allowed", "decimals = 19", "decimals = 18"),
        ("cap with more decimals than the currency", "10.001", "10.01"),
        ("circle with zero radius", "radius_km = 0.0", "radius_km = 3.0"),
        ("cap below the opening balances", r#"cap = "100.00""#, r#"cap = "150.00""#),
        ("step of an hour does not divide a period of 90 minutes", "90m", "120m"),
        ("sector range running backwards", "5599-5000", "5000-5599"),
        ("lowercase currency code", r#""tst""#, r#""TST""#),
        ("exchange fee of 100%", "100%", "99%"),
        ("unknown field in a rule", "colour = \"red\"\n", ""),
        ("a float where an amount string is required (rule)", "max = 10.5", r#"max = "10.50""#),
        ("a field of another rule kind", "rate = \"2%\"\n", ""),
        (
            "rule without a field its kind requires",
            "rate = \"2%\"\n",
            "rate = \"2%\"\nperiod = \"90d\"\n",
        ),
        ("text where a radius in kilometres is required", r#"radius_km = "3""#, "radius_km = 3.0"),
        ("circle centre with latitude 95", "[95.0, 6.78]", "[44.62, 6.78]"),
        ("unknown field in the supply", r#", colour = "red""#, ""),
        ("a field of another supply policy", r#", cap = "500.00""#, ""),
        (
            "supply without a field its policy requires",
            r#"amount = "50.00""#,
            r#"amount = "50.00", period = "30d""#,
        ),
    ];
    for &(description, mistake, fix) in fixes {
        let row = TOML_ROWS.iter().find(|row| row.0 == description);
        let text = row.unwrap_or_else(|| panic!("no row {description:?}")).1;
        assert!(text.contains(mistake), "{description}: {mistake:?} not in the row");
        let fixed = text.replace(mistake, fix);
        assert!(load_toml(&fixed).is_ok(), "{description}, fixed: {:?}", load_toml(&fixed).err());
    }
}
