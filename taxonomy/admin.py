from django.contrib import admin

from taxonomy.models import Category, Certification, Country, Province, Unit


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_km", "name_vi", "time_zone", "currency"]


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_km", "name_vi", "country", "is_current", "merged_into"]
    list_filter = ["country", "is_current"]
    search_fields = ["code", "name_en", "name_km", "name_vi"]
    list_select_related = ["country", "merged_into"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_km", "name_vi", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["code", "name_en", "name_km", "name_vi"]
    list_select_related = ["parent"]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "kind", "issuer", "stars"]
    list_filter = ["kind"]
    search_fields = ["code", "name_en", "name_km", "name_vi"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "symbol", "name_en", "dimension", "to_base"]
    list_filter = ["dimension"]
