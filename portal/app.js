// Tenant portal: reads the signed token from the URL fragment (never sent to any server
// log), or a payment reference from ?ref=, and shows the account or how to pay.
"use strict";

const API = "/v1";
const $ = (id) => document.getElementById(id);
const DATE = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "long", year: "numeric" });
const EUR = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
const KIND = { rent_call: "Avis d'échéance", payment: "Paiement reçu", reversal: "Paiement rejeté" };

function show(id) {
  for (const s of ["loading", "welcome", "error", "account", "pay", "history", "documents", "campaign"]) {
    $(s).hidden = true;
  }
  for (const s of id) $(s).hidden = false;
}

function fail(message) {
  $("error-text").textContent = message;
  show(["error"]);
}

async function getJson(path, headers) {
  const response = await fetch(API + path, { headers: headers || {} });
  if (!response.ok) {
    if (response.status === 401) throw new Error("Ce lien n'est plus valable ou a expiré.");
    if (response.status === 404) throw new Error("Cette référence de paiement est inconnue. Vérifiez-la sur votre avis d'échéance.");
    throw new Error("Le service est momentanément indisponible. Merci de réessayer dans quelques minutes.");
  }
  return response.json();
}

function euros(decimalString) {
  return EUR.format(Number(decimalString));
}

function fillPay(pay) {
  $("beneficiary").textContent = pay.beneficiary;
  $("iban").textContent = pay.iban_display;
  $("iban").dataset.raw = pay.iban;
  $("bic").textContent = pay.bic || "—";
  $("rf").textContent = pay.rf_display;
  $("rf").dataset.raw = pay.rf_reference;
  const figure = $("qr").closest("figure");
  try {
    $("qr").src = EncaisseQr.dataUri(pay.epc_payload);
    figure.hidden = false;
  } catch (e) {
    // Without its code (qr.js not loaded, say), the details above are enough to pay.
    figure.hidden = true;
  }
  const hasAmount = Boolean(pay.amount);
  $("amount-label").hidden = !hasAmount;
  $("amount").hidden = !hasAmount;
  if (hasAmount) $("amount").textContent = euros(pay.amount);
}

function fillAccount(acc) {
  $("landlord").textContent = acc.landlord;
  $("greeting").textContent = "Bonjour " + acc.tenants.join(" et ");
  $("address").textContent = [acc.unit, acc.residence, acc.commune].filter(Boolean).join(", ");
  $("monthly").textContent = euros(acc.monthly_due);
  const balance = Number(acc.balance);
  const box = $("balance");
  box.className = "balance " + (balance > 0 ? "due" : "ok");
  if (balance > 0) box.textContent = "Reste à payer : " + euros(acc.balance);
  else if (balance < 0) box.textContent = "Votre compte est à jour. Vous avez une avance de " + euros(-balance) + ".";
  else box.textContent = "Votre compte est à jour. Merci !";
  const rows = $("history-rows");
  rows.replaceChildren();
  for (const line of acc.history) {
    const tr = document.createElement("tr");
    const amount = Number(line.amount);
    const cells = [
      DATE.format(new Date(line.date + "T12:00:00")),
      line.label || KIND[line.kind] || line.kind,
      (amount < 0 ? "+ " : "− ") + EUR.format(Math.abs(amount)),
    ];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 2) td.className = "num " + (amount < 0 ? "credit" : "debit");
      tr.appendChild(td);
    });
    rows.appendChild(tr);
  }
  fillPay(acc.pay);
}

async function copy(button) {
  const target = button.dataset.copy === "iban-raw" ? $("iban") : $("rf");
  try {
    await navigator.clipboard.writeText(target.dataset.raw);
    $("copied").textContent = "Copié dans le presse-papiers.";
  } catch (e) {
    $("copied").textContent = "Sélectionnez le texte pour le copier.";
  }
}

async function start() {
  document.querySelectorAll("button.copy").forEach((b) => b.addEventListener("click", () => copy(b)));
  $("ref-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const ref = $("ref-input").value.replace(/\s+/g, "").toUpperCase();
    window.location.search = "?ref=" + encodeURIComponent(ref);
  });
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const query = new URLSearchParams(window.location.search);
  try {
    if (fragment.get("t")) {
      const acc = await getJson("/tenant/account", { Authorization: "Tenant " + fragment.get("t") });
      fillAccount(acc);
      show(["account", "pay", "history"]);
      // documents.js lists the lease's documents with the same token
      document.dispatchEvent(new CustomEvent("encaisse:account", {
        detail: { token: fragment.get("t"), leaseId: acc.lease_id },
      }));
    } else if (fragment.get("c")) {
      show(["campaign"]); // a consent campaign's link: documents.js asks for the confirmation
    } else if (query.get("ref")) {
      const pay = await getJson("/pay/" + encodeURIComponent(query.get("ref").replace(/\s+/g, "")));
      fillPay(pay);
      $("landlord").textContent = pay.beneficiary;
      show(["pay"]);
    } else {
      show(["welcome"]);
    }
  } catch (e) {
    fail(e.message);
  }
  $("main").focus({ preventScroll: true });
}

// Deferred scripts all run before DOMContentLoaded: documents.js has bound its handlers (the
// campaign's button, the "encaisse:account" listener) before start() shows anything.
document.addEventListener("DOMContentLoaded", start);
