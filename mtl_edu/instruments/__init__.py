"""Instruments and figures: `probes` (gradient norms by layer, task-gradient recorders, cosines),
`stats` (intervals over seeds, paired differences), `plots` (the course's figures) and
`graph_drawing` (a computation graph as a figure).

Imports from the layers below: engine, nets (and data).
"""
