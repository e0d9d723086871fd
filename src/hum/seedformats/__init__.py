"""Seed data in the shapes researchers publish it, read into rows the per-task normalisers understand.

Loaders (registered in `hum.loaders`): DyGIE++ / PURE / PL-Marker document JSON lines (`dygiepp`), SpERT JSON
(`spert`), BRAT standoff folders (`brat`, lines parsed by `standoff`), Open IE tab files (`oie`: `carb`, `oie2016`).
Normalising helpers (used by `hum.normalise`): field checks (`fields`), token and character offsets (`source`),
entity references by index, id, text or span (`mentions`), and nested column paths and constants (`columns`).
"""
