//! A scenario's cameras through the video core: each clip rendered frame by frame
//! (`coastwatch_scenario::video`), tracked by the real pipeline (motion only: the synthetic
//! boats are no model's training data), and each confirmed track's foot placed on the sea by
//! the camera's pose, as a live camera's would be. [`film`] does it offline for `scenario
//! eval`, measuring every placed position's error against the truth; [`live`] does it on the
//! server's clock for `coastwatch demo`.

use coastwatch_core::alerting::LocalClock;
use coastwatch_core::engine::CameraObservation;
use coastwatch_core::geodesy;
use coastwatch_core::georef::Calibration;
use coastwatch_core::model::{FeatureId, TrackClass};
use coastwatch_scenario::cameras::{CameraScene, SimCamera};
use coastwatch_scenario::video::{Renderer, SceneObject};
use coastwatch_vision::Frame;
use coastwatch_vision::camera::CameraEvent;
use coastwatch_vision::pipeline::{Pipeline, PipelineConfig};
use geo::MultiPolygon;

use crate::cameras::Reader;

/// Frames per second the scenario's cameras are sampled at.
pub const FILM_FPS: f64 = 2.0;

/// What the cameras saw.
#[derive(Debug, Default)]
pub struct Filmed {
    /// Every placed track position, in time order.
    pub observations: Vec<CameraObservation>,
    /// `[range_m, error_m]` of each observation against the nearest object in view.
    pub errors: Vec<[f64; 2]>,
}

/// Why the cameras could not be filmed.
#[derive(Debug, thiserror::Error)]
pub enum FilmError {
    /// A camera's pose cannot be used.
    #[error("camera {camera}: {reason}")]
    Camera {
        /// The camera's name.
        camera: String,
        /// What is wrong.
        reason: String,
    },
}

/// Films every clip of every camera of `scene` (one thread per camera) over `land`; with a
/// `reader`, the cameras read the markings of their tracks as live ones do.
pub fn film(
    scene: &CameraScene,
    land: &MultiPolygon,
    reader: Option<&Reader>,
) -> Result<Filmed, FilmError> {
    let results: Vec<Result<Filmed, FilmError>> = std::thread::scope(|s| {
        let handles: Vec<_> = scene
            .cameras
            .iter()
            .map(|camera| s.spawn(move || film_camera(scene, camera, land, reader)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a filming thread panicked"))
            .collect()
    });
    let mut all = Filmed::default();
    for filmed in results {
        let filmed = filmed?;
        all.observations.extend(filmed.observations);
        all.errors.extend(filmed.errors);
    }
    all.observations.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok(all)
}

fn film_camera(
    scene: &CameraScene,
    camera: &SimCamera,
    land: &MultiPolygon,
    reader: Option<&Reader>,
) -> Result<Filmed, FilmError> {
    let fail = |reason: String| FilmError::Camera {
        camera: camera.name.clone(),
        reason,
    };
    let renderer = Renderer::new(camera.pose, land, camera.feature_id.unsigned_abs())
        .map_err(|e| fail(e.to_string()))?;
    let georef = Calibration::Pose(camera.pose)
        .compile()
        .map_err(|e| fail(e.to_string()))?;
    let camera_id = FeatureId::try_from(camera.feature_id).map_err(|e| fail(e.to_string()))?;
    let clock = LocalClock::new("Asia/Shanghai").map_err(|e| fail(e.to_string()))?;
    let origin = [camera.pose.lon, camera.pose.lat];
    let mut filmed = Filmed::default();
    for (clip, [from, to]) in camera.clips.iter().enumerate() {
        let mut pipeline = Pipeline::new(PipelineConfig::default(), None);
        let mut readings = reader.map(Reader::readings).unwrap_or_default();
        let frames = ((to - from) * FILM_FPS).floor() as u64;
        for index in 0..=frames {
            let t = from + index as f64 / FILM_FPS;
            let (frame, objects) = shoot(&renderer, scene, &clock, index, t).map_err(fail)?;
            let report = pipeline.process(&frame).map_err(|e| fail(e.to_string()))?;
            if let Some(reader) = reader {
                reader.read(&report, &frame, &mut readings);
            }
            for track in &report.tracks {
                let b = track.bbox;
                let boxed = [b.x, b.y, b.w, b.h].map(f64::from);
                let Ok(ground) = georef.place(boxed, false) else {
                    continue;
                };
                let position = [ground.lon, ground.lat];
                let truth = objects
                    .iter()
                    .filter(|o| camera.sees(o.lonlat, 2.0))
                    .map(|o| {
                        (
                            geodesy::distance_m(position, o.lonlat),
                            geodesy::distance_m(origin, o.lonlat),
                        )
                    })
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                if let Some((error_m, range_m)) = truth {
                    filmed.errors.push([range_m, error_m]);
                }
                filmed.observations.push(CameraObservation {
                    camera_id,
                    track_id: format!("{clip}-{}", track.id),
                    class: TrackClass::Unknown,
                    t,
                    camera: origin,
                    position,
                    range_m: ground.range_m,
                    bearing_deg: ground.bearing_deg,
                    range_sigma_m: ground.range_sigma_m,
                    range_nearer_m: ground.nearer_m,
                    range_farther_m: ground.farther_m,
                    bearing_sigma_deg: ground.bearing_sigma_deg,
                    reading: readings.reading(track.id),
                    score: track.score,
                    bbox: Some([b.x, b.y, b.w, b.h]),
                });
            }
        }
    }
    Ok(filmed)
}

/// Frame `index` of a camera at time `t`, with the objects in the scene then.
fn shoot(
    renderer: &Renderer,
    scene: &CameraScene,
    clock: &LocalClock,
    index: u64,
    t: f64,
) -> Result<(Frame, Vec<SceneObject>), String> {
    let objects: Vec<SceneObject> = scene.objects_at(t).into_iter().map(|(_, o)| o).collect();
    let pose = renderer.pose();
    let frame = Frame {
        index,
        t: jiff::Timestamp::from_millisecond((t * 1000.0).round() as i64)
            .map_err(|e| e.to_string())?,
        width: pose.width,
        height: pose.height,
        rgb: renderer.frame(t, &objects, is_night(clock, t)),
    };
    Ok((frame, objects))
}

/// Whether it is dark at `t` in the district (19:00–05:00 local time).
fn is_night(clock: &LocalClock, t: f64) -> bool {
    let minute = clock.minute_of_day(t);
    !(5 * 60..19 * 60).contains(&minute)
}

/// Films `camera` live on the server's clock (`coastwatch demo`): in its clips a frame every
/// 1/[`FILM_FPS`] s of scenario time, between them one every few wall seconds (the popup's
/// latest frame), each through one pipeline, motion only; reports every frame to `on_event`
/// until `stop` is set.
pub fn live(
    scene: &CameraScene,
    camera: &SimCamera,
    land: &MultiPolygon,
    stop: &std::sync::atomic::AtomicBool,
    mut on_event: impl FnMut(CameraEvent),
) -> Result<(), FilmError> {
    let fail = |reason: String| FilmError::Camera {
        camera: camera.name.clone(),
        reason,
    };
    let renderer = Renderer::new(camera.pose, land, camera.feature_id.unsigned_abs())
        .map_err(|e| fail(e.to_string()))?;
    let clock = LocalClock::new("Asia/Shanghai").map_err(|e| fail(e.to_string()))?;
    let mut pipeline = Pipeline::new(PipelineConfig::default(), None);
    on_event(CameraEvent::Connected {
        width: camera.pose.width,
        height: camera.pose.height,
    });
    for index in 0u64.. {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let t = crate::clock::now_epoch_s();
        let (frame, _) = shoot(&renderer, scene, &clock, index, t).map_err(fail)?;
        let report = pipeline.process(&frame).map_err(|e| fail(e.to_string()))?;
        on_event(CameraEvent::Frame(
            Box::new(report),
            std::sync::Arc::new(frame),
        ));
        let filming = camera.clips.iter().any(|[a, b]| (*a..=*b).contains(&t));
        let wait_s = if filming {
            1.0 / FILM_FPS / crate::clock::speed()
        } else {
            IDLE_FRAME_S
        };
        std::thread::sleep(std::time::Duration::from_secs_f64(wait_s));
    }
    Ok(())
}

/// Wall seconds between two frames of a scenario camera outside its clips.
const IDLE_FRAME_S: f64 = 2.0;
