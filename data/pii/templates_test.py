"""Test contexts: written together with dev's, never tuned on. Different
scenarios and wording from templates_dev.py. Placeholders: see make_sets.py."""

ES = [
    # insurance, health, real estate
    """Denuncia de siniestro N° {ORDER}
Asegurado: {PERSON_ES}
Documento: {DNI}
Fecha del hecho: {DATE_ES}
Teléfono para la inspección: {PHONE_AR}
El tercero involucrado, {PERSON_ES}, no quiso dar su póliza.""",
    """Turno confirmado para {PERSON_ES} el {DATE_ES} a las 10:30 en la sede de {CP}. Ante cualquier cambio avisá por WhatsApp al {PHONE_AR}. Traé tu DNI ({DNI}) y la credencial.""",
    """Contrato de locación: el locatario {PERSON_ES}, CUIL {CUIT}, abonará {AMOUNT_ES} mensuales mediante débito en la tarjeta {CARD}. Garante: {PERSON_ES}, DNI {DNI}.""",
    """Inmobiliaria Norte informa que la reserva de la unidad 4B quedó registrada a nombre de {PERSON_ES_FORM}. Seña: {AMOUNT_ES}. Consultas a {EMAIL}.""",
    # e-commerce and returns
    """Quiero devolver la campera del pedido {ORDER}, vino fallada. El reembolso háganlo a la misma tarjeta ({CARD}). Mi nombre es {PERSON_ES} y mi teléfono {PHONE_AR}.""",
    """Tu compra fue aprobada ✅ Pagaste {AMOUNT_ES} con {MASKED_CARD}. Te enviamos el detalle a {EMAIL}. Número de seguimiento: {ORDER}.""",
    """No reconozco el cargo de {AMOUNT_ES} del {DATE_ES}. La tarjeta {BAD_CARD} que figura en el resumen no es mía; la mía es {CARD}.""",
    # university, government, legal
    """Inscripción 2025 - Facultad de Ingeniería
Alumno/a: {PERSON_ES_FORM}
N° de documento: {DNI}
E-mail institucional: {EMAIL}
Celular: {PHONE_AR}""",
    """Por medio de la presente, {PERSON_ES}, titular del CUIT {CUIT}, autoriza a {PERSON_ES} a realizar trámites ante ARCA en su nombre.""",
    """Cédula de notificación. Autos: "{PERSON_ES} c/ Transportes del Oeste S.A. s/ despido", expte. {ORDER}. Domicilio constituido: Tucumán 1581, {CP}.""",
    """Constancia de inscripción: la sociedad Agropecuaria Los Álamos S.A., CUIT {CUIT_CO}, se encuentra inscripta en IVA desde el {DATE_ES}.""",
    # banking and transfers
    """Alerta de seguridad: detectamos un intento de compra con tu tarjeta {CARD} desde la IP {IP}. Si no fuiste vos, llamanos al {PHONE_AR}.""",
    """Mi hermano vive en Madrid y necesita que le gire {AMOUNT_EN}. Su cuenta es {IBAN} a nombre de {PERSON_ES}. ¿Cuánto tarda?""",
    """Devolvimos la transferencia porque la cuenta {BAD_IBAN} no existe. Verifique con el beneficiario {PERSON_ES} y reintente a {IBAN}.""",
    """Solicitud de alta de proveedor extranjero. Banco: Banco Santander. IBAN {IBAN}. Responsable de pagos: {PERSON_ES}, interno 2214, {EMAIL}.""",
    # messaging: WhatsApp, Slack, e-mail threads
    """[18:42] {PERSON_ES}: pasame tu mail así te mando el contrato
[18:43] yo: {EMAIL}
[18:43] {PERSON_ES}: joya, y tu cuit?
[18:44] yo: {CUIT}""",
    """Grupo Consorcio Av. Córdoba 2300: el administrador nuevo es {PERSON_ES}, su número {PHONE_AR}. Las expensas de {AMOUNT_ES} se pagan hasta el {DATE_ES}.""",
    """> De: {EMAIL}
> Enviado: {DATE_ES}
> Asunto: RE: presupuesto
Hola {PERSON_ES}, adjunto la propuesta. Cualquier duda llamame al {PHONE_AR}.""",
    """ojo que el cuit que pusiste ({BAD_CUIT}) está mal, el bueno es {CUIT}""",
    """mandame la plata a la cuenta de España que te pasé: {IBAN} 🙏""",
    # logistics, field service
    """Orden de servicio técnico {INVOICE}. Visita el {DATE_ES} entre 8 y 12 h. Cliente {PERSON_ES}, tel. {PHONE_AR}, CUIT {CUIT_CO} (empresa). Equipo: router firmware {VERSION}, IP {IP}.""",
    """Remito {INVOICE} - Entregar a {PERSON_ES}, DNI {DNI}, o a quien presente autorización firmada. Bultos: 3. Peso: 14,5 kg.""",
    # mostly hard negatives
    """Liquidación de comisiones
Vendedor | Operaciones | Comisión
Zona Norte | 212 | {AMOUNT_ES}
Zona Sur | 187 | {AMOUNT_ES}
Interior | 96 | {AMOUNT_ES}
Total del período {DATE_ES}: {AMOUNT_ES}""",
    """Catálogo 2024: "Manual de derecho tributario" ISBN {ISBN}, "Contabilidad básica" ISBN {ISBN}. Envío a CP {CP}. Pedido mínimo {AMOUNT_ES}.""",
    """Los siguientes números fueron rechazados por el validador: tarjeta {BAD_CARD}, CUIT {BAD_CUIT}, IBAN {BAD_IBAN}. Revisar la carga del lote {ORDER}.""",
    """Incidente {INVOICE}: caída del balanceador {IP} tras actualizar a {VERSION}. Duración: 42 minutos. Sin datos personales comprometidos.""",
    """Estimada {PERSON_ES}: le recordamos que la cuota vence el {DATE_ES}. Puede abonar con la tarjeta {CARD} o por transferencia. Ante dudas escriba a {EMAIL}.""",
    # identity-heavy documents
    """Póliza de caución: tomador Constructora del Litoral S.A. (CUIT {CUIT_CO}); beneficiario {PERSON_ES}, CUIT {CUIT}.""",
    """Padrón de socios del club: {PERSON_ES_FORM} — DNI {DNI} — CUIL {CUIT}""",
    """Beca de intercambio: el estudiante {PERSON_ES} (DNI {DNI}, CUIL {CUIT}) recibirá el estipendio en su cuenta europea {IBAN}. Contacto: {EMAIL}.""",
    """Sucesión de {PERSON_ES}: herederos {PERSON_ES}, DNI {DNI}, y {PERSON_ES}, DNI {DNI}. Cuenta para depósito del exterior: {IBAN}.""",
    """Pago de la matrícula con tarjeta {CARD}, titular {PERSON_ES}, DNI del titular {DNI}.""",
]

EN = [
    # insurance, healthcare, real estate
    """Claim {ORDER} - policyholder {PERSON_EN}, date of loss {DATE_EN}. Adjuster {PERSON_EN} will call {PHONE_EN} to schedule the inspection.""",
    """Appointment reminder: {PERSON_EN}, your visit with Dr. {PERSON_EN} is on {DATE_EN}. Reply STOP to opt out or call {PHONE_EN}.""",
    """Lease application
Applicant: {PERSON_EN}
Current address: 14 Elm Street, Springfield 62704
Email: {EMAIL}
Monthly rent: {AMOUNT_EN}
Deposit paid with card {CARD}""",
    # e-commerce
    """Return request for order {ORDER}: the shoes were the wrong size. Please refund to the original card {CARD}. Thanks, {PERSON_EN}""",
    """Your payment of {AMOUNT_EN} using {MASKED_CARD} was declined. Update your details at account settings or contact {EMAIL}.""",
    """Chargeback notice: transaction {ORDER} on card {CARD} disputed by {PERSON_EN} on {DATE_EN}. Respond within 10 days.""",
    # legal, privacy
    """Data subject access request: I, {PERSON_EN}, request a copy of all data you hold about me under my email {EMAIL} and phone {PHONE_EN}.""",
    """Witness statement of {PERSON_EN}, taken on {DATE_EN}. The witness identified the driver as {PERSON_EN}.""",
    """Please erase my account. Registered email: {EMAIL}. Last four digits of my card: 9921. Case number {INVOICE}.""",
    # banking, cross-border
    """Wire transfer request: send {AMOUNT_EN} to {PERSON_EN}, IBAN {IBAN}, purpose: consulting fees, invoice {INVOICE}.""",
    """Our Argentine subsidiary's details: CUIT {CUIT_CO}, finance contact {PERSON_ES} ({EMAIL}), office {PHONE_AR}.""",
    """Fraud team: card {CARD} used at two merchants 900 km apart within an hour. Customer's mobile {PHONE_EN}. Block and reissue.""",
    """The beneficiary account {BAD_IBAN} failed validation; the correct one on the signed form is {IBAN}.""",
    """Payroll for our remote hire in Rosario: {PERSON_ES}, CUIL {CUIT}, DNI {DNI}, paid to IBAN {IBAN}.""",
    # messaging
    """[Slack #sales] {PERSON_EN}: new lead from the webinar, {PERSON_EN} at {EMAIL}, wants pricing by Friday""",
    """text from unknown number {PHONE_EN}: "your package is held, pay the fee here". looks like phishing""",
    """btw my whatsapp in BA is {PHONE_AR}, the US one is off while i'm abroad""",
    """can you charge the deposit to {CARD}? its my company card, billing zip 94107""",
    # field work, travel
    """Booking confirmation: traveller {PERSON_EN}, passport on file, contact {PHONE_EN}, emergency contact {PERSON_EN} {PHONE_EN}. Total {AMOUNT_EN} charged to {CARD}.""",
    """Visa support letter for {PERSON_ES}, Argentine national (DNI {DNI}), attending our Berlin summit from {DATE_EN}.""",
    # mostly hard negatives
    """Inventory snapshot
SKU | On hand | Value
A-1102 | 4410 | {AMOUNT_EN}
B-2290 | 120 | {AMOUNT_EN}
C-7781 | 86 | {AMOUNT_EN}
Exported {DATE_EN}, job {ORDER}.""",
    """Release notes {VERSION}: fixes a memory leak seen on host {IP}. See also the book referenced in ISBN {ISBN}.""",
    """Rejected rows in batch {ORDER}: card {BAD_CARD} (checksum), tax ID {BAD_CUIT} (check digit), account {BAD_IBAN} (checksum).""",
    """Shipping quote {INVOICE}: 3 pallets from Buenos Aires ({CP}) to Miami 33101, {AMOUNT_EN}, ETA {DATE_EN}.""",
    """Escrow instructions: buyer {PERSON_EN} wires the deposit from IBAN {IBAN} to escrow IBAN {IBAN}.""",
    """Supplier audit, Argentina: legal entity CUIT {CUIT_CO}; sole director {PERSON_ES}, DNI {DNI}, CUIL {CUIT}.""",
    """Corporate card {CARD} assigned to {PERSON_EN}; personal card {CARD} removed from the expense profile. Reimbursements go to IBAN {IBAN}.""",
    """Tenant screening for {PERSON_ES} (DNI {DNI}): previous landlord says rent was paid to IBAN {IBAN}.""",
    """International student fee: {AMOUNT_EN} paid by {PERSON_EN} from IBAN {IBAN}.""",
]
