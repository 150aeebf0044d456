"""Fleet tuning: several PCs tune one model together on Flower, exchanging only seeds and scalars.

``protocol`` (the arithmetic of a round, no networking), ``member`` (one PC's examples and log),
``coordinator`` (the server's step log), ``flower_app`` (the Flower ServerApp/ClientApp that carry them) and
``launch`` (starting Flower's SuperLink and SuperNodes). docs/FLEET.md tells a plant how to set it up.
"""
