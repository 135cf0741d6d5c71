"""StreamField blocks editors compose site pages from."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class CallToActionBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False)
    button_label = blocks.CharBlock(max_length=40)
    button_url = blocks.CharBlock(max_length=200, help_text=_("A path such as /accounts/signup/ or a URL"))

    class Meta:
        icon = "pick"
        template = "pages/blocks/call_to_action.html"


class FeatureBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80)
    text = blocks.TextBlock()

    class Meta:
        icon = "list-ul"
        template = "pages/blocks/feature.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title", template="pages/blocks/heading.html")
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul", "h3"])
    image = ImageChooserBlock(template="pages/blocks/image.html")
    features = blocks.ListBlock(FeatureBlock(), icon="list-ul", template="pages/blocks/features.html")
    call_to_action = CallToActionBlock()
