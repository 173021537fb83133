# Each area of the marketplace keeps its pages in pooling/web/<area>.py.
AREAS = ("needs", "matching", "pools", "settlement", "partner", "partner_work")
