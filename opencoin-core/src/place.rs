//! Where an account is and what trade it is in: locations and sector codes.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Why a location was refused.
#[derive(Debug, Clone, PartialEq, Error)]
#[error(
    "({latitude}, {longitude}) is not a location (latitude -90..=90, longitude -180..=180, finite)"
)]
pub struct LocationError {
    /// The latitude given.
    pub latitude: f64,
    /// The longitude given.
    pub longitude: f64,
}

/// A point on Earth in WGS 84 degrees.
///
/// Coordinates are floating point because geometry needs them; they never
/// take part in any money arithmetic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    latitude: f64,
    longitude: f64,
}

impl Location {
    /// Validates and builds a location.
    ///
    /// # Errors
    ///
    /// [`LocationError`] for a non-finite coordinate, a latitude outside
    /// -90..=90 or a longitude outside -180..=180.
    pub fn new(latitude: f64, longitude: f64) -> Result<Location, LocationError> {
        let valid = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude);
        if !valid {
            return Err(LocationError { latitude, longitude });
        }
        Ok(Location { latitude, longitude })
    }

    /// Degrees north of the equator.
    pub fn latitude(self) -> f64 {
        self.latitude
    }

    /// Degrees east of Greenwich.
    pub fn longitude(self) -> f64 {
        self.longitude
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:.5}, {:.5})", self.latitude, self.longitude)
    }
}

/// The most characters a sector code may have.
pub const SECTOR_CODE_BYTES_MAX: usize = 16;

/// Why a sector code was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not a sector code (1 to 16 characters of A-Z, 0-9 and '.')")]
pub struct SectorCodeError {
    /// The text as given.
    pub text: String,
}

/// A hierarchical trade classification code, such as the ISO 18245 merchant
/// category code `4900` (utilities) or the NACE class `D35.11` (production of
/// electricity).
///
/// Codes are hierarchical by prefix: `D35` covers `D35.11`. OpenCoin does not
/// ship the code lists; a community writes the codes it cares about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SectorCode(String);

impl SectorCode {
    /// Validates and builds a code. Lowercase letters are refused rather
    /// than folded, so that a file says exactly what is matched.
    ///
    /// # Errors
    ///
    /// [`SectorCodeError`] unless the text is 1 to 16 characters of `A-Z`,
    /// `0-9` and `.`.
    pub fn new(text: &str) -> Result<SectorCode, SectorCodeError> {
        let valid = !text.is_empty()
            && text.len() <= SECTOR_CODE_BYTES_MAX
            && text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.');
        if !valid {
            return Err(SectorCodeError { text: text.to_owned() });
        }
        Ok(SectorCode(text.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True if this code is `prefix` or lies in its branch (`D35.11` starts
    /// with `D35`).
    pub fn starts_with(&self, prefix: &SectorCode) -> bool {
        self.0.starts_with(prefix.as_str())
    }

    /// The code read as a whole number, if it is all digits (merchant
    /// category codes are).
    pub fn as_number(&self) -> Option<u32> {
        if self.0.bytes().all(|b| b.is_ascii_digit()) { self.0.parse().ok() } else { None }
    }
}

impl FromStr for SectorCode {
    type Err = SectorCodeError;

    fn from_str(text: &str) -> Result<SectorCode, SectorCodeError> {
        SectorCode::new(text)
    }
}

impl fmt::Display for SectorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert!(Location::new(46.52, 6.63).is_ok());
        assert!(Location::new(90.0, -180.0).is_ok());
        for (lat, lon) in [(90.1, 0.0), (0.0, 180.5), (f64::NAN, 0.0), (0.0, f64::INFINITY)] {
            assert!(Location::new(lat, lon).is_err(), "({lat}, {lon}) accepted");
        }
    }

    #[test]
    fn sector_codes() {
        let class = SectorCode::new("D35.11").unwrap();
        assert!(class.starts_with(&SectorCode::new("D35").unwrap()));
        assert!(!class.starts_with(&SectorCode::new("D36").unwrap()));
        assert_eq!(SectorCode::new("4900").unwrap().as_number(), Some(4900));
        assert_eq!(class.as_number(), None);
        for bad in ["", "d35", "49 00", "ABCDEFGHIJKLMNOPQ"] {
            assert!(SectorCode::new(bad).is_err(), "{bad:?} accepted");
        }
    }
}
