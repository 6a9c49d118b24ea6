"""A real RTSP server on loopback for vision/tests/live.rs, serving a file as an IP camera serves
its stream:

    /usr/bin/python3 rtsp_server.py PORT FILE.mp4 [USER PASSWORD]

Serves FILE (H.264 in MP4, sent as it is: no encoder) in a loop at rtsp://127.0.0.1:PORT/cam,
with basic auth when USER and PASSWORD are given, and prints "ready" once it listens. Each client
gets its own pipeline, from the start of the file. Needs Debian's python3-gi,
gir1.2-gst-rtsp-server-1.0 and gstreamer1.0-plugins-good and -bad (scripts/install-deps.sh
--test).
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def loop_forever(_factory, media):
    """At the end of the file, seek the demuxer back to its start instead of ending the stream.
    Downstream sees neither the end nor the seek's flush; the pad offset moves each pass after
    the one before, so the timeline (and the RTP timestamps) carry on."""
    bin_ = media.get_element()
    demux = bin_.get_by_name("demux")
    pass_end = 0  # the end of the pass so far, in the file's time

    def rewind():
        demux.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH, 0)
        return False  # once

    def on_data(pad, info):
        nonlocal pass_end
        if info.type & Gst.PadProbeType.BUFFER:
            buf = info.get_buffer()
            pass_end = max(pass_end, buf.pts + buf.duration)
            return Gst.PadProbeReturn.OK
        kind = info.get_event().type
        if kind == Gst.EventType.EOS:
            pad.set_offset(pad.get_offset() + pass_end)
            pass_end = 0
            GLib.idle_add(rewind)
            return Gst.PadProbeReturn.DROP
        if kind in (Gst.EventType.FLUSH_START, Gst.EventType.FLUSH_STOP):
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    watched = (
        Gst.PadProbeType.BUFFER
        | Gst.PadProbeType.EVENT_DOWNSTREAM
        | Gst.PadProbeType.EVENT_FLUSH
    )
    bin_.get_by_name("parse").get_static_pad("sink").add_probe(watched, on_data)


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    port, path = sys.argv[1], sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( filesrc location="{path}" ! qtdemux name=demux ! h264parse name=parse '
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
    factory.connect("media-configure", loop_forever)

    if len(sys.argv) == 5:
        user, password = sys.argv[3], sys.argv[4]
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", user)
        auth = GstRtspServer.RTSPAuth()
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
        role = f"{user}, media.factory.access=true, media.factory.construct=true"
        factory.add_role_from_structure(Gst.Structure.from_string(role)[0])

    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
