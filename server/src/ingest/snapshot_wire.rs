//! How a camera observation's picture crosses the cluster's stream: a snapshot as its two
//! JPEGs (CBOR byte strings); a raw frame does not cross (the vision node sends snapshots).

use std::sync::Arc;

use coastwatch_vision::snapshot::Evidence;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeTuple, Serializer};

use super::EvidenceFrame;

/// Bytes serialized as one byte string, not as a sequence of numbers.
struct Bytes<'a>(&'a [u8]);

impl serde::Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// A byte string read back.
struct ByteBuf(Vec<u8>);

impl<'de> serde::Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

/// A snapshot as `[frame_jpeg, crop_jpeg]`; nothing for a raw frame.
pub fn serialize<S: Serializer>(
    frame: &Option<EvidenceFrame>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match frame {
        Some(EvidenceFrame::Snapshot(evidence)) => {
            let mut pair = serializer.serialize_tuple(2)?;
            pair.serialize_element(&Bytes(&evidence.frame_jpeg))?;
            pair.serialize_element(&Bytes(&evidence.crop_jpeg))?;
            pair.end()
        }
        Some(EvidenceFrame::Frame(_)) | None => serializer.serialize_none(),
    }
}

/// Reads what [`serialize`] wrote.
pub fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<EvidenceFrame>, D::Error> {
    struct Snapshot;
    impl<'de> Visitor<'de> for Snapshot {
        type Value = Option<EvidenceFrame>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("nothing, or a frame and a crop as JPEG")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_tuple(2, self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let missing = || de::Error::custom("a snapshot is a frame and a crop");
            let frame: ByteBuf = seq.next_element()?.ok_or_else(missing)?;
            let crop: ByteBuf = seq.next_element()?.ok_or_else(missing)?;
            Ok(Some(EvidenceFrame::Snapshot(Arc::new(Evidence {
                frame_jpeg: frame.0,
                crop_jpeg: crop.0,
            }))))
        }
    }
    deserializer.deserialize_option(Snapshot)
}
