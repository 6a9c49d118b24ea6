#!/usr/bin/env python3
"""Builds the demo district files in this folder from the GSHHG shoreline dump.

    python3 datasets/data/demo/generate.py            # all files, from source/gshhg_f_shore.txt

Input: `source/gshhg_f_shore.txt`, the output of
`gmt coast -R121.40/121.80/29.45/29.70 -Df -W -M` (GMT 6.4, GSHHG 2.3.7 full resolution),
written by `datasets/scripts/extract-coastline.sh`.

Output (GeoJSON, WGS84 lon/lat, integer feature ids unique per file):
  land.geojson, coastline.geojson        derived from GSHHG (LGPL-3)
  areas.geojson, risk_points.geojson, cameras.geojson, geofences.geojson,
  roads.geojson, lanes.geojson           synthetic, placed on the real shore

Needs Python 3.10+, shapely >= 2 and numpy (regeneration only: the files are committed, and
neither the build nor the tests run this script). The output is deterministic.
"""

from __future__ import annotations

import heapq
import json
import math
import pathlib
import sys

import numpy as np
import shapely
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    Point,
    Polygon,
    box,
)
from shapely.ops import linemerge, polygonize, substring, unary_union

HERE = pathlib.Path(__file__).resolve().parent
X0, Y0, X1, Y1 = 121.40, 29.45, 121.80, 29.70
BBOX = box(X0, Y0, X1, Y1)
SOURCE = "GSHHG f 2.3.7"

# The local metric frame of coastwatch_spatial::geodesy::LocalFrame (equirectangular).
EARTH_RADIUS_M = 6_371_008.8
ORIGIN = (121.60, 29.575)
M_PER_DEG_LAT = math.radians(EARTH_RADIUS_M)
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(ORIGIN[1]))

# The three towns (sub-centres) on the north (Fenghua) shore, west to east, and the
# longitudes where one town's stretch of shore ends and the next begins.
TOWNS = ["Chunhu", "Qiucun", "Songao"]
TOWN_BOUNDS = [X0, 121.575, 121.67, X1]


# ---------------------------------------------------------------------------------------------
# geometry helpers


def to_m(g):
    """lon/lat geometry -> frame metres."""
    return shapely.transform(
        g,
        lambda a: np.column_stack(
            ((a[:, 0] - ORIGIN[0]) * M_PER_DEG_LON, (a[:, 1] - ORIGIN[1]) * M_PER_DEG_LAT)
        ),
    )


def to_deg(g):
    """Frame metres -> lon/lat geometry."""
    return shapely.transform(
        g,
        lambda a: np.column_stack(
            (ORIGIN[0] + a[:, 0] / M_PER_DEG_LON, ORIGIN[1] + a[:, 1] / M_PER_DEG_LAT)
        ),
    )


def pm(lon, lat):
    """A lon/lat point in metres."""
    return Point((lon - ORIGIN[0]) * M_PER_DEG_LON, (lat - ORIGIN[1]) * M_PER_DEG_LAT)


def r6(v):
    return round(v, 6)


def coords_out(seq):
    """Rounded [lon, lat] lists without consecutive duplicates."""
    out = []
    for c in seq:
        p = [r6(c[0]), r6(c[1])]
        if not out or out[-1] != p:
            out.append(p)
    return out


def geom_out(g):
    """A GeoJSON geometry object with coordinates rounded to 1e-6 degree."""
    if g.geom_type == "Point":
        return {"type": "Point", "coordinates": [r6(g.x), r6(g.y)]}
    if g.geom_type == "LineString":
        return {"type": "LineString", "coordinates": coords_out(g.coords)}
    if g.geom_type == "Polygon":
        return {
            "type": "Polygon",
            "coordinates": [coords_out(g.exterior.coords)]
            + [coords_out(r.coords) for r in g.interiors],
        }
    if g.geom_type == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [geom_out(p)["coordinates"] for p in g.geoms],
        }
    raise ValueError(g.geom_type)


def snap_polygon(g, tolerance_m=0.0):
    """A valid polygon (or multipolygon) in degrees, simplified and rounded to 1e-6 degree."""
    if tolerance_m:
        g = to_deg(to_m(g).simplify(tolerance_m))
    g = shapely.set_precision(g, 1e-6)
    g = shapely.make_valid(g)
    if g.geom_type == "GeometryCollection":
        g = unary_union([p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")])
    assert g.is_valid and not g.is_empty, g
    return g


def largest(g):
    if g.geom_type == "MultiPolygon":
        return max(g.geoms, key=lambda p: p.area)
    return g


def write(name, features):
    fc = {"type": "FeatureCollection", "features": features}
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    # one feature per line: small diffs, still compact
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    text = text.replace('"features":[{"type":"Feature"', '"features":[\n{"type":"Feature"')
    (HERE / name).write_text(text + "\n")
    print(f"{name}: {len(features)} features, {len(text) / 1024:.0f} KiB", file=sys.stderr)


def feature(fid, g, props):
    return {"type": "Feature", "id": fid, "geometry": geom_out(g), "properties": props}


# ---------------------------------------------------------------------------------------------
# GSHHG: shoreline pieces, land polygons


def read_dump(path):
    global SOURCE
    segs, cur = [], []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            if "GSHHG f " in line:  # the version extract-coastline.sh recorded
                SOURCE = "GSHHG f " + line.split("GSHHG f ")[1].split(")")[0].strip()
            continue
        if line.startswith(">"):
            if cur:
                segs.append(cur)
            cur = []
            continue
        lon, lat = map(float, line.split()[:2])
        cur.append((r6(lon), r6(lat)))
    if cur:
        segs.append(cur)
    return segs


def on_edge(c):
    return c[0] in (X0, X1) or c[1] in (Y0, Y1)


def same_edge(a, b):
    return (a[0] == b[0] and a[0] in (X0, X1)) or (a[1] == b[1] and a[1] in (Y0, Y1))


def shore_pieces(segs):
    """Merges the per-bin segments and cuts them where GMT's clip runs along the bbox edge.

    Returns (open pieces, closed island rings), both as LineStrings; land is on the left
    (GSHHG level-1 rings run counter-clockwise).
    """
    merged = linemerge(MultiLineString(segs))
    lines = list(getattr(merged, "geoms", [merged]))
    pieces, islands = [], []
    for line in lines:
        cs = list(line.coords)
        if line.is_ring and not any(on_edge(c) for c in cs):
            islands.append(LineString(cs))
            continue
        cur = [cs[0]]
        for a, b in zip(cs, cs[1:]):
            if on_edge(a) and on_edge(b) and same_edge(a, b):
                if len(cur) > 1:
                    pieces.append(LineString(cur))
                cur = [b]
            else:
                cur.append(b)
        if len(cur) > 1:
            pieces.append(LineString(cur))
    return pieces, islands


def land_faces(pieces, islands):
    """Land polygons clipped to the bbox: the faces left of the shoreline."""
    noded = unary_union(pieces + islands + [BBOX.exterior])
    faces = list(polygonize(noded))
    votes = [0] * len(faces)
    tree = shapely.STRtree(faces)
    for line in pieces + islands:
        cs = list(line.coords)
        for a, b in zip(cs, cs[1:]):
            (ax, ay), (bx, by) = a, b
            dx, dy = bx - ax, by - ay
            n = math.hypot(dx, dy)
            if n < 2e-4:
                continue
            mx, my = (ax + bx) / 2, (ay + by) / 2
            for side, sign in ((-dy / n, 1), (dy / n, -1)):
                p = Point(mx + side * 2e-5, my + sign * dx / n * 2e-5)
                for i in tree.query(p, predicate="within"):
                    votes[i] += sign
    land = [f for f, v in zip(faces, votes) if v > 0]
    assert all(v != 0 for v in votes), votes
    return land


# ---------------------------------------------------------------------------------------------
# the district: north shore, town stretches, town areas


def split_by_towns(north):
    """Cuts the north shore where it crosses the town boundary longitudes."""
    cs = list(north.coords)
    parts, cur = [], [cs[0]]
    bounds = TOWN_BOUNDS[1:-1]
    k = 0
    for a, b in zip(cs, cs[1:]):
        if k < len(bounds) and (a[0] - bounds[k]) * (b[0] - bounds[k]) < 0:
            t = (bounds[k] - a[0]) / (b[0] - a[0])
            c = (bounds[k], r6(a[1] + t * (b[1] - a[1])))
            cur.append(c)
            parts.append(LineString(cur))
            cur = [c]
            k += 1
        cur.append(b)
    parts.append(LineString(cur))
    assert len(parts) == len(TOWNS), "each boundary longitude crosses the north shore once"
    for line, lo, hi in zip(parts, TOWN_BOUNDS, TOWN_BOUNDS[1:]):
        assert all(lo - 1e-9 <= c[0] <= hi + 1e-9 for c in line.coords)
    return parts


def town_areas(stretches, north_land, land):
    """Each town: its band of longitude, within 5 km of its shore, without the other mainland.

    An island belongs wholly to the town that holds most of it.
    """
    others = unary_union([p for p in land if p.area > 1e-3 and p is not north_land])
    areas = []
    for line, lo, hi in zip(stretches, TOWN_BOUNDS, TOWN_BOUNDS[1:]):
        near = to_deg(to_m(line).buffer(5000, quad_segs=8))
        areas.append(near.intersection(box(lo, Y0, hi, Y1)).difference(others))
    for island in (p for p in land if p.area <= 1e-3):
        shares = [a.intersection(island).area for a in areas]
        if max(shares) == 0:
            continue
        best = shares.index(max(shares))
        areas = [a.union(island) if k == best else a.difference(island) for k, a in enumerate(areas)]
    out = []
    for g in areas:
        g = unary_union([p for p in getattr(g, "geoms", [g]) if p.area > 2e-5])
        out.append(snap_polygon(g, tolerance_m=0))
    return out


# ---------------------------------------------------------------------------------------------
# risk points

# Villages on the shore, accountable units with their own cards: (name, town, lon, lat of the
# centre); each is the part of its town within 1.2 km of the centre, land and near-shore sea.
VILLAGES = [
    ("Xiapu Cun", "Chunhu", 121.472, 29.526),
    ("Yangcun", "Chunhu", 121.552, 29.545),
    ("Huangxian Cun", "Qiucun", 121.632, 29.556),
    ("Mayao Cun", "Qiucun", 121.658, 29.556),
    ("Dongmen Cun", "Songao", 121.742, 29.609),
    ("Yangyi Cun", "Songao", 121.771, 29.643),
]

# (kind, name, town, registered, card, approx lon, approx lat, metres inland; negative = seaward)
# Docks sit 15 m off the shoreline (the pier head); anchorages are given as they are.
RISK_POINTS = [
    # Chunhu
    ("dock", "Chunhu Yugang Matou", "Chunhu", True, "none", 121.500, 29.552, -15),
    ("dock", "Xiapu Matou", "Chunhu", True, "none", 121.470, 29.520, -15),
    ("dock", "Yangcun Matou", "Chunhu", True, "none", 121.550, 29.542, -15),
    ("dock", "Shatou landing", "Chunhu", False, "none", 121.457, 29.497, -15),
    ("oil_depot", "Chunhu Youku", "Chunhu", False, "none", 121.490, 29.549, 500),
    ("cold_store", "Chunhu Lengku", "Chunhu", False, "none", 121.505, 29.556, 200),
    ("shipyard", "Chunhu Chuanchang", "Chunhu", False, "none", 121.535, 29.526, 80),
    ("warehouse", "Xiapu Cangku", "Chunhu", False, "none", 121.475, 29.531, 300),
    ("truck_firm", "Chunhu Yunshu Gongsi", "Chunhu", False, "none", 121.525, 29.527, 700),
    ("fuel_point", "Chunhu Jiayouzhan", "Chunhu", False, "none", 121.560, 29.541, 150),
    ("crane_firm", "Hongda Diaozhuang", "Chunhu", False, "none", 121.482, 29.543, 650),
    # Qiucun
    ("dock", "Qiucun Matou", "Qiucun", True, "none", 121.600, 29.544, -15),
    ("dock", "Huangxian Matou", "Qiucun", True, "none", 121.630, 29.552, -15),
    ("dock", "Mayao Matou", "Qiucun", True, "none", 121.656, 29.552, -15),
    ("dock", "Tangjiadao landing", "Qiucun", False, "yellow", 121.583, 29.550, -15),
    ("dock", "Xikou landing", "Qiucun", False, "red", 121.642, 29.570, -15),
    ("oil_depot", "Qiucun Shihua Youku", "Qiucun", False, "none", 121.612, 29.546, 450),
    ("cold_store", "Qiucun Lengku", "Qiucun", False, "yellow", 121.596, 29.544, 150),
    ("shipyard", "Qiucun Chuanchang", "Qiucun", False, "none", 121.622, 29.552, 70),
    ("warehouse", "Huangxian Cangku", "Qiucun", False, "none", 121.634, 29.552, 350),
    ("warehouse", "Mayao Cangku", "Qiucun", False, "none", 121.661, 29.554, 250),
    ("truck_firm", "Qiucun Wuliu", "Qiucun", False, "none", 121.618, 29.550, 760),
    ("crane_firm", "Qiucun Qizhong", "Qiucun", False, "none", 121.650, 29.550, 550),
    ("fuel_point", "Qiucun Jiayouzhan", "Qiucun", False, "none", 121.590, 29.545, 300),
    # Songao
    ("dock", "Songao Yugang Matou", "Songao", True, "none", 121.704, 29.594, -15),
    ("dock", "Dongmen Matou", "Songao", True, "none", 121.740, 29.606, -15),
    ("dock", "Yangyi Matou", "Songao", True, "none", 121.770, 29.640, -15),
    ("dock", "Xuanshan Dao Matou", "Songao", True, "none", 121.680, 29.548, -15),
    ("dock", "Shiqiao landing", "Songao", False, "yellow", 121.685, 29.564, -15),
    ("dock", "Beiao landing", "Songao", False, "none", 121.790, 29.664, -15),
    ("oil_depot", "Songao Youku", "Songao", False, "yellow", 121.728, 29.596, 400),
    ("cold_store", "Songao Lengku", "Songao", False, "none", 121.708, 29.596, 200),
    ("cold_store", "Dongmen Lengku", "Songao", False, "none", 121.745, 29.612, 180),
    ("shipyard", "Songao Chuanxiu Chang", "Songao", False, "none", 121.760, 29.634, 90),
    ("warehouse", "Songao Cangku", "Songao", False, "none", 121.718, 29.591, 500),
    ("truck_firm", "Songao Yunshu", "Songao", False, "none", 121.752, 29.622, 700),
    ("fuel_point", "Songao Jiayouzhan", "Songao", False, "none", 121.781, 29.657, 250),
    ("crane_firm", "Dongsheng Qizhong", "Songao", False, "none", 121.735, 29.601, 300),
    # anchorages in the fairway
    ("anchorage", "Qiucun Maodi", "Qiucun", False, "none", 121.625, 29.531, None),
    ("anchorage", "Songao Maodi", "Songao", False, "none", 121.735, 29.585, None),
]


class Shore:
    """The coastline and land in metres, for snapping and side tests."""

    def __init__(self, lines, land):
        self.lines = [to_m(line) for line in lines]
        self.land = unary_union([to_m(p) for p in land])
        self.coast = MultiLineString(self.lines)

    def nearest(self, p):
        """(nearest shoreline point, unit tangent) to metre point p."""
        line = min(self.lines, key=lambda line: line.distance(p))
        s = line.project(p)
        q = line.interpolate(s)
        a = line.interpolate(max(s - 5, 0))
        b = line.interpolate(min(s + 5, line.length))
        t = np.array([b.x - a.x, b.y - a.y])
        return q, t / np.linalg.norm(t)

    def offset(self, p, metres):
        """The point `metres` inland (negative: seaward) of the shore point nearest to p."""
        q, t = self.nearest(p)
        for turn in (0, 20, -20, 40, -40, 60, -60):
            a = math.radians(turn)
            n = np.array([-t[1], t[0]])  # left of the shore: land (GSHHG)
            n = np.array([n[0] * math.cos(a) - n[1] * math.sin(a), n[0] * math.sin(a) + n[1] * math.cos(a)])
            c = Point(q.x + n[0] * metres, q.y + n[1] * metres)
            inland = self.land.contains(c)
            d = self.coast.distance(c)
            if inland == (metres > 0) and d >= 0.6 * abs(metres):
                return c
        raise AssertionError(f"no {metres} m offset near {to_deg(p)}")


def risk_points(shore):
    out = []
    for kind, name, town, registered, card, lon, lat, inland in RISK_POINTS:
        p = pm(lon, lat)
        if inland is None:  # an anchorage, in open water
            assert not shore.land.contains(p) and shore.coast.distance(p) > 600, name
        else:
            p = shore.offset(p, inland)
        out.append(
            {
                "geom": to_deg(p),
                "m": p,
                "props": {"kind": kind, "name": name, "registered": registered, "town": town, "card": card},
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# roads (all on the north mainland)

COAST_ROAD_INLAND_M = 1100


class Roads:
    """A small road network in metres; junctions are shared vertices."""

    def __init__(self, water):
        self.water = water
        self.roads = []  # dicts: name, coords (list of (x, y))

    def clear(self, a, b, margin=10.0):
        return LineString([a, b]).distance(self.water) >= margin

    def add(self, name, coords):
        coords = [tuple(c) for c in coords]
        for a, b in zip(coords, coords[1:]):
            assert self.clear(a, b), (name, to_deg(Point(a)), to_deg(Point(b)))
        self.roads.append({"name": name, "coords": coords})
        return len(self.roads) - 1

    def nearest_on(self, p, only=None):
        """[(distance, road index, point on road)] nearest first."""
        out = []
        for k, r in enumerate(self.roads):
            if only is not None and k not in only:
                continue
            line = LineString(r["coords"])
            q = line.interpolate(line.project(p))
            out.append((p.distance(q), k, q))
        return sorted(out, key=lambda t: t[0])

    def junction(self, k, q):
        """Inserts point q (on road k) as a vertex; returns the vertex."""
        cs = self.roads[k]["coords"]
        for c in cs:
            if math.dist(c, (q.x, q.y)) < 5:
                return c
        best, at = None, None
        for j, (a, b) in enumerate(zip(cs, cs[1:])):
            d = LineString([a, b]).distance(q)
            if best is None or d < best:
                best, at = d, j
        c = (q.x, q.y)
        cs.insert(at + 1, c)
        return c

    def connect(self, name, p, only=None, via_inland=None):
        """A road from p to the nearest road it can reach over land in a straight line (or via
        one extra point)."""
        p = (p.x, p.y)
        for _, k, q in self.nearest_on(Point(p), only):
            if self.clear(p, (q.x, q.y)):
                j = self.junction(k, q)
                return self.add(name, [p, j])
        if via_inland is not None:
            via = via_inland()
            m = (via.x, via.y)
            for _, k, q in self.nearest_on(via, only):
                if self.clear(p, m) and self.clear(m, (q.x, q.y)):
                    j = self.junction(k, q)
                    return self.add(name, [p, m, j])
        raise AssertionError(f"cannot connect {name}")

    def graph(self):
        nodes, adj = {}, {}

        def key(c):
            return (round(c[0], 3), round(c[1], 3))

        for k, r in enumerate(self.roads):
            for a, b in zip(r["coords"], r["coords"][1:]):
                ka, kb = key(a), key(b)
                nodes[ka], nodes[kb] = a, b
                w = math.dist(a, b)
                adj.setdefault(ka, []).append((kb, w, k))
                adj.setdefault(kb, []).append((ka, w, k))
        return nodes, adj, key

    def path(self, a, b):
        """Shortest path over the roads: (coords, road indices in order)."""
        nodes, adj, key = self.graph()
        ka, kb = key(a), key(b)
        dist, prev, heap = {ka: 0.0}, {}, [(0.0, ka)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == kb:
                break
            if d > dist[u]:
                continue
            for v, w, k in adj[u]:
                if d + w < dist.get(v, math.inf):
                    dist[v], prev[v] = d + w, (u, k)
                    heapq.heappush(heap, (d + w, v))
        coords, used, u = [nodes[kb]], [], kb
        while u != ka:
            u, k = prev[u]
            coords.append(nodes[u])
            if not used or used[-1] != k:
                used.append(k)
        return coords[::-1], used[::-1]


def coast_road(north_land_m, water):
    inner = north_land_m.difference(water.buffer(COAST_ROAD_INLAND_M, quad_segs=8))
    edge = to_m(BBOX).exterior
    b = inner.boundary.difference(edge.buffer(0.5))
    b = linemerge(b) if b.geom_type == "MultiLineString" else b
    line = max(getattr(b, "geoms", [b]), key=lambda g: g.length).simplify(120)
    cs = list(line.coords)
    if cs[0][0] > cs[-1][0]:
        cs.reverse()
    # put the ends exactly on the bbox edge (south-west: Ninghai; east: Xiazhi)
    (w, e) = (to_deg(Point(cs[0])), to_deg(Point(cs[-1])))
    assert abs(w.y - Y0) < 1e-4 and abs(e.x - X1) < 1e-4, (w, e)
    cs[0] = (to_m(Point(w.x, Y0)).x, to_m(Point(w.x, Y0)).y)
    cs[-1] = (to_m(Point(X1, e.y)).x, to_m(Point(X1, e.y)).y)
    # cut into town sections at the town boundary longitudes
    sections, cur = [], [cs[0]]
    cuts = [to_m(Point(x, Y0)).x for x in TOWN_BOUNDS[1:-1]]
    k = 0
    for a, b in zip(cs, cs[1:]):
        if k < len(cuts) and (a[0] - cuts[k]) * (b[0] - cuts[k]) < 0:
            t = (cuts[k] - a[0]) / (b[0] - a[0])
            c = (cuts[k], a[1] + t * (b[1] - a[1]))
            sections.append(cur + [c])
            cur = [c]
            k += 1
        cur.append(b)
    sections.append(cur)
    assert len(sections) == 3
    return sections


# Exit roads to the north edge (towards Xiwu and Ningbo): waypoints after the junction.
EXIT_ROADS = [
    ("Chunhu-Xiwu Lu", (121.505, 29.585), [(121.500, 29.620), (121.492, 29.660), (121.488, Y1)]),
    ("Qiucun-Ningbo Lu", (121.622, 29.575), [(121.615, 29.620), (121.602, 29.660), (121.595, Y1)]),
]


def build_roads(points, shore, north_land_m):
    water = to_m(BBOX).difference(shore.land)
    roads = Roads(water)
    for town, section in zip(TOWNS, coast_road(north_land_m, water)):
        roads.add(f"Binhai Gonglu ({town})", section)
    for name, start, rest in EXIT_ROADS:
        _, k, q = roads.nearest_on(pm(*start), only={0, 1, 2})[0]
        j = roads.junction(k, q)
        roads.add(name, [j] + [(pm(*c).x, pm(*c).y) for c in rest])
    by_name = {rp["props"]["name"]: rp for rp in points}
    # docks and landing places: a road to the pier from 30 m inland
    for rp in points:
        pr = rp["props"]
        if pr["kind"] != "dock" or not north_land_m.buffer(50).contains(rp["m"]):
            continue  # island docks have no road
        access = shore.offset(rp["m"], 30)
        rp["access"] = access
        if pr["registered"]:
            name = pr["name"].replace(" Matou", "") + " Matou Lu"
        else:
            name = pr["name"].replace(" landing", "") + " Cun Lu"
        rp["road"] = roads.connect(name, access, via_inland=lambda: shore.offset(rp["m"], 500))
    # inland firms, depots and stores
    for rp in points:
        pr = rp["props"]
        if pr["kind"] in ("dock", "anchorage"):
            continue
        rp["road"] = roads.connect(
            pr["name"] + " Lu", rp["m"], via_inland=lambda: shore.offset(rp["m"], 900)
        )
    return roads, by_name


def corridor(roads, start, end):
    coords, used = roads.path(start, end)
    return LineString(coords), used


# ---------------------------------------------------------------------------------------------
# cameras


def bearing(a, b):
    """Degrees clockwise from north, from metre point a to b."""
    return round(math.degrees(math.atan2(b.x - a.x, b.y - a.y)) % 360, 1)


def moved(p, towards, metres):
    d = math.dist((p.x, p.y), (towards.x, towards.y))
    return Point(p.x + (towards.x - p.x) / d * metres, p.y + (towards.y - p.y) / d * metres)


# (name, town, agency, placement, target, height_m, hfov_deg, range_m, near_range_m)
# placement: dock = on the quay behind the pier, looking out over it; asset = 70-90 m from the
# asset on its shore side, looking at it; ptz = a mast near the given shore point (lon, lat);
# watch = on the shore near (lon, lat), looking at the target anchorage; checkpoint = beside the
# named road's first junction, looking along the road.
CAMERAS = [
    ("CH-01 Chunhu Yugang", "Chunhu", "fisheries", "dock", "Chunhu Yugang Matou", 12, 70, 1500, 15),
    ("CH-02 Chunhu Youku", "Chunhu", "police", "asset", "Chunhu Youku", 10, 60, 400, 10),
    ("CH-03 Chunhu Lengku", "Chunhu", "police", "asset", "Chunhu Lengku", 8, 60, 300, 5),
    ("CH-04 Xiapu", "Chunhu", "border_police", "dock", "Xiapu Matou", 10, 60, 1200, 10),
    ("CH-05 Yangcun", "Chunhu", "border_police", "dock", "Yangcun Matou", 12, 70, 1500, 15),
    ("CH-06 Chunhu Chuanchang", "Chunhu", "town_office", "asset", "Chunhu Chuanchang", 9, 80, 400, 5),
    ("CH-07 Chunhu PTZ", "Chunhu", "border_police", "ptz", (121.530, 29.527), 35, 360, 3000, None),
    ("CH-08 Chunhu Jiayouzhan", "Chunhu", "police", "asset", "Chunhu Jiayouzhan", 6, 50, 300, 5),
    ("CH-09 Xiwu Lu checkpoint", "Chunhu", "traffic_police", "checkpoint", "Chunhu-Xiwu Lu", 7, 45, 300, 10),
    ("QC-01 Qiucun Matou", "Qiucun", "border_police", "dock", "Qiucun Matou", 12, 70, 1500, 15),
    ("QC-02 Huangxian", "Qiucun", "border_police", "dock", "Huangxian Matou", 10, 60, 1200, 10),
    ("QC-03 Mayao", "Qiucun", "fisheries", "dock", "Mayao Matou", 10, 60, 1200, 10),
    ("QC-04 Qiucun Youku", "Qiucun", "police", "asset", "Qiucun Shihua Youku", 15, 60, 500, 10),
    ("QC-05 Qiucun Lengku", "Qiucun", "police", "asset", "Qiucun Lengku", 8, 60, 300, 5),
    ("QC-06 Qiucun Chuanchang", "Qiucun", "town_office", "asset", "Qiucun Chuanchang", 9, 80, 400, 5),
    ("QC-07 Qiucun PTZ", "Qiucun", "border_police", "ptz", (121.631, 29.553), 40, 360, 2500, None),
    ("QC-08 Qiucun anchorage", "Qiucun", "maritime", "watch", (121.612, 29.545), 25, 40, 3000, 50),
    ("QC-09 Huangxian Cangku", "Qiucun", "police", "asset", "Huangxian Cangku", 8, 60, 300, 5),
    ("QC-10 Ningbo Lu checkpoint", "Qiucun", "traffic_police", "checkpoint", "Qiucun-Ningbo Lu", 7, 45, 300, 10),
    ("SA-01 Songao Yugang", "Songao", "fisheries", "dock", "Songao Yugang Matou", 12, 70, 1500, 15),
    ("SA-02 Dongmen", "Songao", "border_police", "dock", "Dongmen Matou", 10, 60, 1500, 10),
    ("SA-03 Yangyi", "Songao", "border_police", "dock", "Yangyi Matou", 10, 60, 1200, 10),
    ("SA-04 Xuanshan Dao", "Songao", "border_police", "dock", "Xuanshan Dao Matou", 8, 90, 1000, 5),
    ("SA-05 Songao Youku", "Songao", "police", "asset", "Songao Youku", 15, 60, 500, 10),
    ("SA-06 Songao Lengku", "Songao", "police", "asset", "Songao Lengku", 8, 60, 300, 5),
    ("SA-07 Dongmen Lengku", "Songao", "police", "asset", "Dongmen Lengku", 8, 60, 300, 5),
    ("SA-08 Songao Chuanxiu", "Songao", "town_office", "asset", "Songao Chuanxiu Chang", 9, 80, 400, 5),
    ("SA-09 Dongmen PTZ", "Songao", "border_police", "ptz", (121.748, 29.617), 38, 360, 3000, None),
    ("SA-10 Songao anchorage", "Songao", "maritime", "watch", (121.722, 29.592), 20, 40, 3000, 50),
    ("SA-11 Songao Jiayouzhan", "Songao", "police", "asset", "Songao Jiayouzhan", 6, 50, 300, 5),
]


def cameras(points, shore, roads, by_name):
    anchorage = {rp["props"]["town"]: rp for rp in points if rp["props"]["kind"] == "anchorage"}
    out = []
    for name, town, agency, placement, target, height, hfov, rng, near in CAMERAS:
        if placement == "dock":
            dock = by_name[target]["m"]
            at = shore.offset(dock, 25)
            heading = bearing(at, dock)
        elif placement == "asset":
            asset = by_name[target]["m"]
            q, _ = shore.nearest(asset)
            at = moved(asset, q, 80)
            if not shore.land.contains(at) or shore.coast.distance(at) < 10:
                at = moved(asset, q, -80)
            heading = bearing(at, asset)
        elif placement == "ptz":
            at = shore.offset(pm(*target), 150)
            q, _ = shore.nearest(at)
            heading = bearing(at, q)
        elif placement == "watch":
            at = shore.offset(pm(*target), 40)
            goal = anchorage[town]["m"]
            assert at.distance(goal) < rng * 0.9, name
            heading = bearing(at, goal)
        else:  # checkpoint
            road = next(r for r in roads.roads if r["name"] == target)
            a, b = Point(road["coords"][0]), Point(road["coords"][1])
            along = moved(a, b, 150)
            at = Point(along.x + (b.y - a.y) / a.distance(b) * 20, along.y - (b.x - a.x) / a.distance(b) * 20)
            heading = bearing(at, moved(a, b, 400))
        assert shore.land.contains(at) and shore.coast.distance(at) >= 10, name
        props = {
            "name": name,
            "height_m": float(height),
            "heading_deg": 0.0 if hfov == 360 else heading,
            "hfov_deg": float(hfov),
            "range_m": float(rng),
            "near_range_m": None if near is None else float(near),
            "ptz": hfov == 360,
            "agency": agency,
            "town": town,
        }
        out.append({"geom": to_deg(at), "m": at, "props": props})
    return out


# ---------------------------------------------------------------------------------------------
# geofences

RULE_RESTRICTED = {"classes": ["vessel"], "detect": ["enter", "dwell"], "dwell_min": 15, "severity": "critical"}
RULE_NO_LANDING = {"classes": ["vessel"], "detect": ["enter"], "severity": "critical"}
TRUCKS = ["vehicle:tank_truck", "vehicle:container_truck"]
RULE_WATCH = {
    "classes": TRUCKS,
    "detect": ["enter"],
    "active_hours": {"start": "22:00", "end": "05:00"},
    "severity": "warning",
}
RULE_CORRIDOR = {"classes": TRUCKS, "detect": ["exit"], "severity": "warning"}

# (name, centre lon, lat, radius m): circles cut to the water 150 m off every shore.
RESTRICTED = [
    ("Xihu Gang military restricted area", 121.786, 29.493, 2600),
    ("Xidian Wan shellfish reserve", 121.446, 29.466, 1700),
    ("Qiucun pipeline landfall restricted area", 121.652, 29.513, 1100),
]
# (name, landing place at the middle of the strip, half length along the shore in m)
NO_LANDING = [
    ("Xikou inlet no-landing shore", "Xikou landing", 700),
    ("Beiao no-landing shore", "Beiao landing", 900),
]
# (name, risk points inside, radius m)
WATCH = [
    ("Chunhu Youku watch zone", ["Chunhu Youku", "Hongda Diaozhuang"], 350),
    ("Qiucun depot area watch zone", ["Qiucun Shihua Youku", "Qiucun Wuliu"], 300),
]
# (name, from risk point, to: the far end of the named road, or of the east coast road section)
CORRIDORS = [
    ("Chunhu Youku - Xiwu tanker corridor", "Chunhu Youku", "Chunhu-Xiwu Lu"),
    ("Qiucun Youku - Ningbo tanker corridor", "Qiucun Shihua Youku", "Qiucun-Ningbo Lu"),
    ("Songao cold chain corridor", "Songao Lengku", "Binhai Gonglu (Songao)"),
]


def shore_strip(shore, p, half_m, width_m=200):
    """The coastline within half_m (along the line) of the shore point nearest p, buffered."""
    line = min(shore.lines, key=lambda line: line.distance(p))
    s = line.project(p)
    part = substring(line, max(0, s - half_m), min(line.length, s + half_m))
    return part.buffer(width_m, quad_segs=8)


def geofences(points, shore, roads, by_name, town_of):
    water = to_m(BBOX).difference(shore.land)
    out = []
    for name, lon, lat, r in RESTRICTED:
        g = pm(lon, lat).buffer(r, quad_segs=16).intersection(water.difference(shore.land.buffer(150)))
        g = largest(g)
        g = Polygon(g.exterior)  # no holes
        assert not g.intersects(shore.land.buffer(100)), name
        out.append(("restricted_sea", name, g, {}, RULE_RESTRICTED))
    for name, landing, half in NO_LANDING:
        g = shore_strip(shore, by_name[landing]["m"], half)
        out.append(("no_landing_shore", name, g, {}, RULE_NO_LANDING))
    for name, inside, r in WATCH:
        hull = MultiPoint([by_name[n]["m"] for n in inside]).convex_hull.buffer(r, quad_segs=8)
        g = largest(hull.intersection(shore.land.difference(water.buffer(30))))
        out.append(("watch_zone", name, g, {}, RULE_WATCH))
    corridor_roads = {}
    for name, start, end in CORRIDORS:
        a = by_name[start]["m"]
        road = next(r for r in roads.roads if r["name"] == end)
        line, used = corridor(roads, (a.x, a.y), road["coords"][-1])
        corridor_roads[name] = used
        town = by_name[start]["props"]["town"]
        out.append(("route_corridor", name, line, {"width_m": 60.0, "town": town}, RULE_CORRIDOR))
    fences = []
    for kind, name, g, extra, rule in out:
        g = to_deg(g)
        if g.geom_type != "LineString":
            g = snap_polygon(g, tolerance_m=10)
            assert g.geom_type == "Polygon", (name, g.geom_type)
        props = {"name": name, "kind": kind, "radius_m": None, "width_m": None, "town": town_of(g), "rule": rule}
        props.update(extra)
        fences.append({"geom": g, "m": to_m(g), "props": props})
    return fences, corridor_roads


# ---------------------------------------------------------------------------------------------
# sea lanes

GRID_M = 40.0
ENTRANCE = (X1, 29.640)  # the bay entrance on the east edge, mid-channel
TRANSIT_END = (121.488, 29.512)  # the western end of the outer lane, off Xiapu
# (name, lon/lat of the loop's first corner, length m, width m, bearing of the long side deg);
# the loop turns right (clockwise) from its first side.
FISHING = [
    ("Chunhu fishing ground", (121.500, 29.515), 1400, 600, 40),
    ("Qiucun fishing ground", (121.592, 29.520), 1500, 600, 65),
    ("Songao fishing ground", (121.772, 29.622), 1600, 700, 40),
]


class Sea:
    """A grid planner over the water, keeping clear of land and sea fences."""

    def __init__(self, shore, fences, docks):
        water = to_m(BBOX).difference(shore.land)
        blocked = unary_union([f["m"] for f in fences if f["props"]["kind"] in ("restricted_sea", "no_landing_shore")])
        self.land, self.blocked = shore.land, blocked
        open_water = water.difference(shore.land.buffer(150)).difference(blocked.buffer(150))
        near_docks = unary_union([d.buffer(700) for d in docks]).intersection(
            water.difference(shore.land.buffer(8)).difference(blocked.buffer(150))
        )
        self.nav = open_water.union(near_docks)
        self.clear_poly = water.difference(shore.land.buffer(100)).difference(blocked.buffer(100)).union(near_docks)
        shapely.prepare(self.clear_poly)
        b = to_m(BBOX).bounds
        self.x0, self.y0 = b[0], b[1]
        self.nx, self.ny = int((b[2] - b[0]) / GRID_M) + 1, int((b[3] - b[1]) / GRID_M) + 1
        xs = self.x0 + np.arange(self.nx) * GRID_M
        ys = self.y0 + np.arange(self.ny) * GRID_M
        gx, gy = np.meshgrid(xs, ys)
        self.ok = shapely.contains_xy(self.nav, gx, gy)
        # stay mid-channel: steps near the shore cost more
        cost = np.ones(self.ok.shape)
        for d, extra in ((300, 2.0), (500, 1.0), (800, 0.5)):
            cost += extra * ~shapely.contains_xy(water.difference(shore.land.buffer(d)), gx, gy)
        self.cost = cost

    def cell(self, p):
        return (int(round((p.y - self.y0) / GRID_M)), int(round((p.x - self.x0) / GRID_M)))

    def point(self, c):
        return (self.x0 + c[1] * GRID_M, self.y0 + c[0] * GRID_M)

    def nearest_ok(self, p):
        i, j = self.cell(p)
        best = None
        for di in range(-15, 16):
            for dj in range(-15, 16):
                a, b = i + di, j + dj
                if 0 <= a < self.ny and 0 <= b < self.nx and self.ok[a, b]:
                    d = di * di + dj * dj
                    if best is None or d < best[0]:
                        best = (d, (a, b))
        assert best is not None, to_deg(p)
        return best[1]

    def dijkstra(self, start):
        s = self.nearest_ok(start)
        dist = np.full(self.ok.shape, np.inf)
        prev = {}
        dist[s] = 0
        heap = [(0.0, s)]
        steps = [(di, dj, math.hypot(di, dj)) for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj]
        while heap:
            d, (i, j) = heapq.heappop(heap)
            if d > dist[i, j]:
                continue
            for di, dj, w in steps:
                a, b = i + di, j + dj
                if 0 <= a < self.ny and 0 <= b < self.nx and self.ok[a, b]:
                    nd = d + w * (self.cost[i, j] + self.cost[a, b]) / 2
                    if nd < dist[a, b]:
                        dist[a, b] = nd
                        prev[(a, b)] = (i, j)
                        heapq.heappush(heap, (nd, (a, b)))
        return s, prev

    def route(self, tree, goal):
        """Cells from the tree's start to the cell nearest goal, string-pulled, as metre coords."""
        s, prev = tree
        c = self.nearest_ok(goal)
        cells = [c]
        while c != s:
            c = prev[c]
            cells.append(c)
        pts = [self.point(c) for c in reversed(cells)]
        return self.pull(pts)

    def pull(self, pts):
        out, i = [pts[0]], 0
        while i < len(pts) - 1:
            j = i + 1
            while j + 1 < len(pts) and self.clear_poly.contains(LineString([pts[i], pts[j + 1]])):
                j += 1
            out.append(pts[j])
            i = j
        return out

    def check(self, name, coords):
        line = LineString(coords)
        assert line.distance(self.land) >= 5, (name, line.distance(self.land))
        assert line.distance(self.blocked) >= 100, (name, line.distance(self.blocked))


def lanes(points, shore, fences):
    docks = [rp for rp in points if rp["props"]["kind"] == "dock" and rp["props"]["registered"]]
    anchorages = [rp for rp in points if rp["props"]["kind"] == "anchorage"]
    sea = Sea(shore, fences, [d["m"] for d in docks])
    entrance = pm(*ENTRANCE)
    tree = sea.dijkstra(entrance)
    out = []

    def exact_ends(coords, end=None):
        coords = [(entrance.x, entrance.y)] + coords[1:]
        if end is not None:
            coords = coords[:-1] + [(end.x, end.y)]
        return coords

    transit = exact_ends(sea.route(tree, pm(*TRANSIT_END)))
    out.append(({"kind": "transit", "name": "Xiangshan Gang fairway", "dock_id": None, "anchorage_id": None}, transit))
    for d in docks:
        coords = exact_ends(sea.route(tree, d["m"]), d["m"])
        out.append(({"kind": "approach", "name": d["props"]["name"] + " approach", "dock_id": d["id"], "anchorage_id": None}, coords))
    for a in anchorages:
        coords = exact_ends(sea.route(tree, a["m"]), a["m"])
        out.append(({"kind": "anchorage", "name": a["props"]["name"] + " lane", "dock_id": None, "anchorage_id": a["id"]}, coords))
    for name, corner, length, width, axis in FISHING:
        p = pm(*corner)
        ax = (math.sin(math.radians(axis)), math.cos(math.radians(axis)))
        perp = (ax[1], -ax[0])
        ring = [
            (p.x, p.y),
            (p.x + ax[0] * length, p.y + ax[1] * length),
            (p.x + ax[0] * length + perp[0] * width, p.y + ax[1] * length + perp[1] * width),
            (p.x + perp[0] * width, p.y + perp[1] * width),
            (p.x, p.y),
        ]
        assert sea.clear_poly.contains(Polygon(ring)), name
        out.append(({"kind": "fishing", "name": name, "dock_id": None, "anchorage_id": None}, ring))
    for props, coords in out:
        sea.check(props["name"], coords)
    return out


# ---------------------------------------------------------------------------------------------


def main():
    segs = read_dump(HERE / "source" / "gshhg_f_shore.txt")
    pieces, islands = shore_pieces(segs)
    land = land_faces(pieces, islands)
    north = next(p for p in pieces if p.coords[-1][0] == X1 and p.coords[-1][1] > 29.65)
    north_land = next(f for f in land if f.boundary.covers(north))

    # land.geojson
    write(
        "land.geojson",
        [
            feature(i + 1, p, {"kind": "mainland" if p.area > 1e-3 else "island", "source": SOURCE})
            for i, p in enumerate(land)
        ],
    )

    # areas.geojson
    stretches = split_by_towns(north)
    areas = town_areas(stretches, north_land, land)
    area_features = [
        feature(i + 1, a, {"name": t, "kind": "town"}) for i, (t, a) in enumerate(zip(TOWNS, areas))
    ]
    area_features.append(feature(4, BBOX, {"name": "Xiangshan Bay district", "kind": "district"}))
    for k, (name, town, lon, lat) in enumerate(VILLAGES):
        shape = to_deg(to_m(Point(lon, lat)).buffer(1200, quad_segs=8)).intersection(areas[TOWNS.index(town)])
        area_features.append(feature(5 + k, snap_polygon(largest(shape)), {"name": name, "kind": "village"}))
    write("areas.geojson", area_features)

    def town_of(g):
        p = g if g.geom_type == "Point" else g.representative_point()
        for t, a in zip(TOWNS, areas):
            if a.contains(p):
                return t
        return None

    # coastline.geojson: the north shore by town, the south shore, the islands
    coast = [(line, t) for line, t in zip(stretches, TOWNS)]
    coast += [(p, None) for p in pieces if p is not north]
    coast += [(r, town_of(Polygon(r))) for r in islands]
    write(
        "coastline.geojson",
        [feature(i + 1, g, {"town": t, "source": SOURCE}) for i, (g, t) in enumerate(coast)],
    )

    # risk_points.geojson
    shore = Shore(pieces + islands, land)
    points = risk_points(shore)
    registered = [q for q in points if q["props"]["kind"] == "dock" and q["props"]["registered"]]
    for i, rp in enumerate(points):
        rp["id"] = i + 1
        assert town_of(rp["geom"]) == rp["props"]["town"], rp["props"]
        if rp["props"]["kind"] == "dock" and not rp["props"]["registered"]:
            near = min(q["m"].distance(rp["m"]) for q in registered)
            assert near > 1200, (rp["props"]["name"], near)
    write("risk_points.geojson", [feature(rp["id"], rp["geom"], rp["props"]) for rp in points])

    # roads.geojson
    roads, by_name = build_roads(points, shore, to_m(north_land))
    write(
        "roads.geojson",
        [feature(k + 1, to_deg(LineString(r["coords"])), {"name": r["name"]}) for k, r in enumerate(roads.roads)],
    )

    # cameras.geojson
    cams = cameras(points, shore, roads, by_name)
    write("cameras.geojson", [feature(i + 1, c["geom"], c["props"]) for i, c in enumerate(cams)])

    # geofences.geojson
    fences, corridor_roads = geofences(points, shore, roads, by_name, town_of)
    write("geofences.geojson", [feature(i + 1, f["geom"], f["props"]) for i, f in enumerate(fences)])
    for i, f in enumerate(fences):
        if f["props"]["kind"] == "route_corridor":
            used = [k + 1 for k in corridor_roads[f["props"]["name"]]]
            print(f"  corridor {i + 1} {f['props']['name']!r} follows roads {used}", file=sys.stderr)

    # lanes.geojson
    lane_list = lanes(points, shore, fences)
    write(
        "lanes.geojson",
        [feature(i + 1, to_deg(LineString(c)), p) for i, (p, c) in enumerate(lane_list)],
    )


if __name__ == "__main__":
    main()
