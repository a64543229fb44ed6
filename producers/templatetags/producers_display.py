"""Template filters for listing facts; see producers.display for how each one reads."""

from django import template

from producers import display

register = template.Library()


@register.filter
def quantity(value):
    return display.quantity_display(value)


@register.filter
def months(mask):
    return display.months_display(mask)


@register.filter
def price_range(product):
    return display.price_range_display(product)


@register.filter
def category_path(category):
    return display.category_display(category)
