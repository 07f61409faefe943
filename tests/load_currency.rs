//! The facade's `load_currency`: every example currency file loads from
//! disk, the file's extension picks the format, and a bad file is reported
//! with the file's name and the field at fault.

use std::path::PathBuf;

use opencoin::LoadError;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/currencies").join(name)
}

#[test]
fn example_files_load() {
    // Codes as written at the top of each file.
    for (file, code) in
        [("village.toml", "VLG"), ("basic-income.toml", "BASIC"), ("timebank.json", "HOUR")]
    {
        let spec = opencoin::load_currency(example(file))
            .unwrap_or_else(|error| panic!("{file} does not load: {error}"));
        assert_eq!(spec.code.as_str(), code, "{file}");
    }
}

#[test]
fn errors_name_the_file_and_the_field() {
    let directory = std::env::temp_dir().join(format!("opencoin-load-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();

    let unknown_format = directory.join("village.yaml");
    std::fs::write(&unknown_format, "code: VLG").unwrap();
    let error = opencoin::load_currency(&unknown_format).unwrap_err();
    assert!(matches!(error, LoadError::UnknownFormat { .. }), "{error}");

    // A demurrage rate of 100% would melt everything in one period.
    let village = std::fs::read_to_string(example("village.toml")).unwrap();
    let broken = directory.join("broken.toml");
    std::fs::write(&broken, village.replace("rate = \"2%\"", "rate = \"100%\"")).unwrap();
    let error = opencoin::load_currency(&broken).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("broken.toml"), "{message}");
    assert!(message.contains("rules[1].rate"), "{message}");

    let missing = opencoin::load_currency(directory.join("absent.toml")).unwrap_err();
    assert!(matches!(missing, LoadError::Read { .. }), "{missing}");
    std::fs::remove_dir_all(&directory).unwrap();
}
