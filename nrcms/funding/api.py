from ninja import Router

router = Router(tags=["筹资与基金"])
