//! AIS decoding: NMEA `!AIVDM`/`!AIVDO` sentences to typed messages and to
//! gpsd-compatible JSON.
//!
//! The usual entry point is [`Decoder`]: feed it lines, get [`Decoded`]
//! messages back. [`gpsd_json::write_gpsd_json`] prints a message the way
//! `gpsdecode -j` does; [`ndjson::decode_to_ndjson`] does a whole stream.
//!
//! ```
//! use coastwatch_ais::{AisMessage, Decoder, gpsd_json};
//! let mut dec = Decoder::default();
//! let d = dec
//!     .feed_line(b"\\c:1565218798*53\\!BSVDM,1,1,,A,13mb9U0P00PRk8fT5nw>4?wj2006,0*5D")
//!     .unwrap()
//!     .unwrap();
//! assert_eq!(d.timestamp_s, Some(1_565_218_798.0));
//! let AisMessage::Position(p) = d.message else { panic!() };
//! assert_eq!(p.header.msg_type, 1);
//! let mut json = Vec::new();
//! gpsd_json::write_gpsd_json(&mut json, &d.message, None);
//! assert!(json.starts_with(br#"{"class":"AIS","type":1,"#));
//! ```

/// Six-bit payload armouring.
pub mod armor;
/// Payload bit buffer and bit reader.
pub mod bits;
/// The streaming decoder.
pub mod decoder;
/// Writing AIVDM sentences (simulator, tests).
pub mod encode;
/// Decoded messages as vessel-engine updates.
pub mod engine;
/// The error type.
pub mod error;
/// gpsd-compatible JSON output.
pub mod gpsd_json;
/// Typed messages and their decoding.
pub mod messages;
/// Whole-stream decoding to NDJSON.
pub mod ndjson;
/// NMEA sentence and tag-block parsing.
pub mod nmea;
/// Type 24 part A/B pairing.
pub mod pairing;
/// Multi-sentence reassembly.
pub mod reassembly;

pub use bits::{AisText, BitReader, MAX_PAYLOAD_BITS, PayloadBits};
pub use decoder::{Alone, Decoded, Decoder, DecoderOptions, DecoderStats};
pub use error::{AisError, Result};
pub use messages::{
    AidToNavigationReport, AisMessage, BaseStationReport, ClassBExtendedReport,
    ClassBPositionReport, Dimensions, DimensionsOrMothership, Eta, Header, LongRangeReport, Mmsi,
    PositionReport, RateOfTurn, SarAircraftReport, StaticDataPartB, StaticDataReport,
    StaticVoyageData,
};
pub use nmea::Sentence;
pub use pairing::StaticDataPairer;
pub use reassembly::{FragmentTimeout, Reassembler, ReassemblyOptions};
