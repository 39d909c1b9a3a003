from ninja import Router

router = Router(tags=["家庭户与参合"])
