from django.urls import reverse


def test_home_names_roles(client, cast, settings):
    settings.ICSVOICE_REQUIRE_MFA = False
    client.force_login(cast.gp_rep)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "GP board representative" in body
    assert "ICS A Integrated Care Board" in body
    assert "ICS B" not in body
