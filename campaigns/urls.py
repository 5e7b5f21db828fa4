from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("todo/", views.todo, name="todo"),
    path("stock/", views.stock, name="stock"),
    path("stock.xlsx", views.stock_xlsx, name="stock_xlsx"),
    path("<int:pk>/", views.board, name="board"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/close/", views.campaign_close, name="close"),
    path("<int:pk>/households/", views.households, name="households"),
    path("<int:pk>/needs/", views.needs, name="needs"),
    path("<int:pk>/needs.xlsx", views.needs_xlsx, name="needs_xlsx"),
    path("<int:pk>/deliveries.xlsx", views.deliveries_xlsx, name="deliveries_xlsx"),
    path("households/<int:pk>/", views.row_detail, name="row"),
    path("households/<int:pk>/water/", views.water_new, name="water_new"),
    path("households/<int:pk>/needs/", views.need_add, name="need_add"),
    path("needs/<int:pk>/deliver/", views.deliver, name="deliver"),
    path("deliveries/<int:pk>/reverse/", views.delivery_reverse, name="delivery_reverse"),
]
