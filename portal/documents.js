// Tenant portal, "Mes documents": the lease's notices, quittances and receipts (each
// opened through a short-lived link from the API) and the one-tap e-delivery consent.
// Started by app.js's "encaisse:account" event, once the account is shown.
"use strict";

(function () {
  const API = "/v1";
  const $ = (id) => document.getElementById(id);
  const DATE = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "long", year: "numeric" });
  const MONTH = new Intl.DateTimeFormat("fr-FR", { month: "long", year: "numeric" });
  const KIND = {
    avis_echeance: "Avis d'échéance",
    quittance: "Quittance de loyer",
    recu: "Reçu de paiement",
    rib: "RIB de votre logement",
    letter: "Courrier",
  };
  let session = null;

  async function call(method, path, body) {
    const headers = { Authorization: "Tenant " + session.token };
    if (body) headers["Content-Type"] = "application/json";
    const response = await fetch(API + path, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  function period(value) {
    return value ? MONTH.format(new Date(value + "-15T12:00:00")) : "";
  }

  async function open(documentId, button) {
    button.disabled = true;
    $("documents-status").textContent = "Ouverture du document…";
    try {
      const link = await call("GET", "/documents/" + encodeURIComponent(documentId));
      $("documents-status").textContent = "";
      window.location.assign(link.url);
    } catch (e) {
      $("documents-status").textContent = "Le document n'a pas pu être ouvert. Merci de réessayer.";
    } finally {
      button.disabled = false;
    }
  }

  function fillDocuments(items) {
    const list = $("documents-list");
    list.replaceChildren();
    $("documents-empty").hidden = items.length > 0;
    for (const doc of items) {
      const li = document.createElement("li");
      const text = document.createElement("span");
      const title = document.createElement("strong");
      title.textContent = [KIND[doc.kind] || doc.kind, period(doc.period)].filter(Boolean).join(" — ");
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = "Émis le " + DATE.format(new Date(doc.created_at));
      text.append(title, document.createElement("br"), when);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "open-doc";
      button.textContent = "Ouvrir";
      button.setAttribute("aria-label", "Ouvrir : " + title.textContent);
      button.addEventListener("click", () => open(doc.document_id, button));
      li.append(text, button);
      list.appendChild(li);
    }
  }

  function fillConsent(consent) {
    const on = Boolean(consent.e_delivery);
    $("consent-state").textContent = on
      ? "Vous recevez vos documents en ligne : plus de courrier papier."
      : "Vous recevez vos documents par courrier.";
    $("consent-toggle").textContent = on
      ? "Recevoir à nouveau mes documents par courrier"
      : "Recevoir mes documents en ligne plutôt que par courrier";
    $("consent-toggle").dataset.on = on ? "1" : "";
  }

  async function toggleConsent() {
    const button = $("consent-toggle");
    button.disabled = true;
    try {
      const next = !button.dataset.on;
      fillConsent(await call("PUT", "/leases/" + encodeURIComponent(session.leaseId) + "/consent", {
        e_delivery: next,
        source: "portal",
        channel: "portal",
      }));
    } catch (e) {
      $("consent-state").textContent = "Votre choix n'a pas pu être enregistré. Merci de réessayer.";
    } finally {
      button.disabled = false;
    }
  }

  async function load(detail) {
    session = { token: detail.token, leaseId: detail.leaseId };
    $("documents").hidden = false;
    $("consent-toggle").addEventListener("click", toggleConsent);
    const lease = encodeURIComponent(session.leaseId);
    try {
      const [docs, consent] = await Promise.all([
        call("GET", "/leases/" + lease + "/documents"),
        call("GET", "/leases/" + lease + "/consent"),
      ]);
      fillDocuments(docs.items);
      fillConsent(consent);
    } catch (e) {
      $("documents-status").textContent = "Vos documents sont momentanément indisponibles.";
    }
  }

  // A consent campaign's one-tap link (#c=<token>): one confirmation, then the consent is
  // recorded by the API (source "campaign"). The token is the only credential.
  async function acceptCampaign(token) {
    const button = $("campaign-accept");
    button.disabled = true;
    $("campaign-status").textContent = "Enregistrement de votre choix…";
    try {
      const response = await fetch(API + "/tenant/consent-campaign", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token }),
      });
      if (response.ok) {
        button.hidden = true;
        $("campaign-status").textContent =
          "Merci, votre choix est enregistré : vos prochains documents seront déposés dans votre " +
          "espace locataire et vous serez prévenu(e) à chaque nouveau document.";
        return;
      }
      if (response.status === 409) {
        button.hidden = true;
        $("campaign-status").textContent = "Ce lien a déjà été utilisé : votre choix est déjà enregistré.";
        return;
      }
      $("campaign-status").textContent = response.status === 401
        ? "Ce lien n'est plus valable ou a expiré. Votre agence peut vous en envoyer un nouveau."
        : "Votre choix n'a pas pu être enregistré. Merci de réessayer dans quelques minutes.";
    } catch (e) {
      $("campaign-status").textContent = "Votre choix n'a pas pu être enregistré. Merci de réessayer dans quelques minutes.";
    }
    button.disabled = false;
  }

  const campaignToken = new URLSearchParams(window.location.hash.slice(1)).get("c");
  if (campaignToken) {
    $("campaign-accept").addEventListener("click", () => acceptCampaign(campaignToken));
  }

  document.addEventListener("encaisse:account", (event) => load(event.detail));
})();
