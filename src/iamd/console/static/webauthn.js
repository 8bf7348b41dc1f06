// The WebAuthn ceremonies of the console's security keys, for forms marked
// data-webauthn="create" (registration) or "get" (sign-in). The server renders the options
// (JSON, binary values in base64url) into data-webauthn-options; this script hands them to
// the browser's authenticator API and posts the answer back in the form's "credential"
// field, where the server verifies it. A file of its own: the console's CSP allows no
// inline script.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function answer(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (credential.authenticatorAttachment) out.authenticatorAttachment = credential.authenticatorAttachment;
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return out;
  }

  function ceremony(form) {
    var options = JSON.parse(form.getAttribute("data-webauthn-options"));
    var create = form.getAttribute("data-webauthn") === "create";
    var status = form.querySelector(".webauthn-status");
    options.challenge = toBytes(options.challenge);
    (options.excludeCredentials || options.allowCredentials || []).forEach(function (item) {
      item.id = toBytes(item.id);
    });
    if (create) options.user.id = toBytes(options.user.id);
    if (!window.PublicKeyCredential) {
      status.textContent = "This browser does not support security keys.";
      return;
    }
    status.textContent = "Touch your security key.";
    var pending = create ? navigator.credentials.create({ publicKey: options })
                         : navigator.credentials.get({ publicKey: options });
    pending.then(function (credential) {
      form.querySelector("input[name=credential]").value = JSON.stringify(answer(credential));
      form.submit();
    }, function (error) {
      status.textContent = "The security key did not answer (" + error.name + "). Try again.";
      status.classList.add("error");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-webauthn]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function (event) {
        if (!form.querySelector("input[name=credential]").value) {
          event.preventDefault();
          ceremony(form);
        }
      });
      if (form.hasAttribute("data-autostart")) ceremony(form);
    });
  });
})();
