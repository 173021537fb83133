app_name = "pooling_api"

urlpatterns: list = []
