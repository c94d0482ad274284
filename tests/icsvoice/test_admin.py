from icsvoice import audit
from tests.factories import UserFactory
from tests.helpers import sign_in


def test_site_admin_can_read_the_audit_trail_but_not_change_it(client, db):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    event = audit.record(event="test.visible", actor=admin_user)
    sign_in(client, admin_user)
    listing = client.get("/admin/icsvoice/auditevent/")
    assert listing.status_code == 200
    assert "test.visible" in listing.content.decode()
    assert client.get("/admin/icsvoice/auditevent/add/").status_code == 403
    assert (
        client.post(f"/admin/icsvoice/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_people_without_admin_rights_are_kept_out_of_the_admin(client, cast):
    sign_in(client, cast.chair)
    response = client.get("/admin/icsvoice/auditevent/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url
