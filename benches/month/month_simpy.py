"""The month of docs/PERFORMANCE.md in SimPy: 30 days, 300 stalls, Poisson
arrivals at 85 cars/h, one gate of 6 s (FIFO), lognormal stays of mean
180 min and sd 90 min, no bookings. The same model as
benches/month/bare.rs and benches/month/month.toml: the head of the gate
queue takes a stall as it starts through the gate, and leaves the stall at
the end of its stay (which starts when the gate is done).

    python3 -m venv /tmp/simpy && /tmp/simpy/bin/pip install -r benches/month/requirements.txt
    /tmp/simpy/bin/python benches/month/month_simpy.py

Prints the outcome and `sim_s=` (the simulation's own wall time, the figure
benches/floor.rs reads when PARKSIM_SIMPY names this Python).
"""

import math
import random
import sys
import time

import simpy

DAYS, STALLS, RATE_H, GATE_S = 30, 300, 85.0, 6.0
STAY_MEAN, STAY_SD = 180.0, 90.0  # minutes
SIGMA2 = math.log(1.0 + (STAY_SD / STAY_MEAN) ** 2)
MU, SIGMA = math.log(STAY_MEAN) - SIGMA2 / 2.0, math.sqrt(SIGMA2)


def month(seed=1):
    rng = random.Random(seed)
    env = simpy.Environment()
    gate = simpy.Resource(env, capacity=1)
    stalls = simpy.Container(env, capacity=STALLS, init=STALLS)
    stats = {"arrived": 0, "entered": 0, "wait": 0.0}

    def car():
        arrived = env.now
        stats["arrived"] += 1
        with gate.request() as g:  # FIFO at the gate
            yield g
            yield stalls.get(1)  # the head waits for a stall, gate held
            stats["entered"] += 1
            stats["wait"] += env.now - arrived
            yield env.timeout(GATE_S)
        yield env.timeout(rng.lognormvariate(MU, SIGMA) * 60.0)
        yield stalls.put(1)

    def arrivals():
        while True:
            yield env.timeout(rng.expovariate(RATE_H / 3600.0))
            env.process(car())

    env.process(arrivals())
    env.run(until=DAYS * 86400.0)
    return stats


if __name__ == "__main__":
    t0 = time.perf_counter()
    s = month(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    dt = time.perf_counter() - t0
    print(
        f"simpy {simpy.__version__}: {s['arrived']} arrived, {s['entered']} entered, "
        f"mean wait {s['wait'] / max(s['entered'], 1):.2f} s"
    )
    print(f"sim_s={dt:.4f}")
