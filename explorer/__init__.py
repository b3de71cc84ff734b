"""Search engines: breadth-first, depth-first, simulation, liveness, graph export."""
