"""Dev contexts (tuning is allowed on these). Placeholders: see make_sets.py."""

ES = [
    # support tickets
    """Hola, soy {PERSON_ES}. Hice el pedido {ORDER} el {DATE_ES} y todavía no llegó. Me pueden llamar al {PHONE_AR} o escribirme a {EMAIL}. Gracias.""",
    """Ticket #{ORDER} - Reclamo de facturación
Cliente: {PERSON_ES}
CUIT: {CUIT}
Detalle: la factura {INVOICE} por {AMOUNT_ES} salió con el CUIT {BAD_CUIT}, que no es el nuestro. Por favor reemitir.""",
    """Buenas tardes, no puedo ingresar a la app (versión {VERSION}). El error aparece desde la IP {IP}. Mi usuario es {EMAIL} y mi DNI {DNI}.""",
    """Necesito dar de baja la tarjeta {CARD} porque me la robaron ayer. Titular: {PERSON_ES}. Tel. de contacto {PHONE_AR}.""",
    """Les escribo porque el débito automático de {AMOUNT_ES} se hizo dos veces sobre la tarjeta terminada en 4821. El número completo es {CARD}. Mi correo: {EMAIL}""",
    # invoices and payments
    """FACTURA A N° {INVOICE}
Fecha de emisión: {DATE_ES}
Razón social: Distribuidora del Sur S.R.L. - CUIT {CUIT_CO}
Cliente: {PERSON_ES} - CUIT {CUIT}
Condición frente al IVA: Responsable Inscripto
Total: {AMOUNT_ES}""",
    """Datos para la transferencia internacional:
Beneficiario: {PERSON_ES}
IBAN: {IBAN}
Importe: {AMOUNT_EN}
Referencia: {INVOICE}""",
    """Estimado proveedor, el pago de la OC {ORDER} por {AMOUNT_ES} fue rechazado porque el IBAN informado ({BAD_IBAN}) no es válido. Por favor confirmar la cuenta correcta, que según nuestros registros es {IBAN}.""",
    """Recibo de sueldo - período {DATE_ES}
Empleado: {PERSON_ES_FORM}
CUIL: {CUIT}
Legajo: {ORDER}
Neto a cobrar: {AMOUNT_ES}""",
    """Comprobante de pago
Tarjeta: {MASKED_CARD}
Operación: {ORDER}
Monto: {AMOUNT_ES}
Si no reconocés este consumo comunicate al {PHONE_AR}.""",
    # CRM notes
    """Nota CRM ({DATE_ES}): hablé con {PERSON_ES}, gerente de compras. Pidió cotización para 40 licencias. Su celular es {PHONE_AR} y prefiere que le escriban a {EMAIL}. Volver a llamar la semana próxima.""",
    """Seguimiento: el cliente {PERSON_ES} (DNI {DNI}) quiere refinanciar la deuda de {AMOUNT_ES}. Ofrecimos 12 cuotas. Contacto alternativo: {PERSON_ES}, {PHONE_AR}.""",
    """Lead nuevo desde la web. Nombre: {PERSON_ES}. Empresa con CUIT {CUIT_CO}. Mail {EMAIL}. Interesado en el plan Pyme. Código postal {CP}.""",
    """Llamada saliente a {PHONE_AR} sin respuesta. Se dejó mensaje. Reintentar después del {DATE_ES}. Responsable: {PERSON_ES}.""",
    # HR forms
    """FORMULARIO DE ALTA DE PERSONAL
Apellido y nombre: {PERSON_ES_FORM}
DNI: {DNI}
CUIL: {CUIT}
Domicilio: Av. Rivadavia 4520, piso 3 ({CP})
Teléfono: {PHONE_AR}
Correo electrónico: {EMAIL}
Cuenta para haberes (IBAN, si es del exterior): {IBAN}""",
    """Solicitud de licencia. Yo, {PERSON_ES}, D.N.I. N° {DNI}, solicito licencia por examen desde el {DATE_ES}. Mi supervisora directa es {PERSON_ES}.""",
    """Referencias laborales del postulante: trabajó con {PERSON_ES} en Logística Austral entre 2018 y 2021. Teléfono de la referencia: {PHONE_AR}. CUIL del postulante {CUIT}.""",
    """Declaración jurada de cargas de familia: cónyuge {PERSON_ES}, DNI {DNI}; hijo {PERSON_ES}, DNI {DNI}.""",
    # chat messages
    """hola!! te paso mi cel {PHONE_AR} así coordinamos la entrega, soy {PERSON_ES}""",
    """dale, te transfiero hoy. mi cuil es {CUIT} por si lo necesitás para la factura""",
    """che me pasás el mail de {PERSON_ES}? el que tengo ({EMAIL}) rebota""",
    """te mando los datos de la tarjeta: {CARD} vence 08/27. no le digas a nadie jaja""",
    # hard negatives mostly
    """Resumen de ventas del {DATE_ES}
| Sucursal | Tickets | Importe |
| Palermo | 1845 | {AMOUNT_ES} |
| Belgrano | 1302 | {AMOUNT_ES} |
| Caballito | 977 | {AMOUNT_ES} |
Pedido de referencia {ORDER}, factura {INVOICE}.""",
    """El libro "Historia económica argentina" (ISBN {ISBN}) se entrega en el local de {CP}. Precio: {AMOUNT_ES}. Pedido {ORDER}.""",
    """Se actualizó el servidor {IP} a la versión {VERSION}. Próximo mantenimiento: {DATE_ES}. Ticket {INVOICE}.""",
    """Atención: el CUIT {BAD_CUIT} informado en la orden {ORDER} no pasa la validación del dígito verificador. Tampoco el número de tarjeta {BAD_CARD}.""",
    """Transferencia rechazada: cuenta destino {BAD_IBAN}. Monto {AMOUNT_EN}. Reintente con una cuenta válida.""",
    """Consulta de {PERSON_ES}: ¿la tarjeta {BAD_CARD} es la que tienen registrada? Yo uso la {CARD}. Avisame al {EMAIL}.""",
    # payments and identity (added to reach 40 positives per type)
    """Formulario de adhesión al débito automático
Titular: {PERSON_ES}
DNI: {DNI}
Tarjeta: {CARD}
Vencimiento: 03/28
E-mail: {EMAIL}""",
    """Pago a proveedor del exterior: Lombardi Srl, IBAN {IBAN}. Autorizó: {PERSON_ES} (CUIL {CUIT}).""",
    """Control de acceso: ingresó {PERSON_ES}, DNI {DNI}, visitante de la empresa con CUIT {CUIT_CO}. Hora: 09:12.""",
    """Reintegro aprobado para {PERSON_ES}. Se acredita en la tarjeta {CARD} o, si es cuenta europea, en {IBAN}. Documento del titular: {DNI}.""",
    """Cargo rechazado en la tarjeta {CARD}: fondos insuficientes. Reintentaremos el {DATE_ES}.""",
]

EN = [
    # support tickets
    """Hi, my name is {PERSON_EN} and my order {ORDER} placed on {DATE_EN} never arrived. You can reach me at {PHONE_EN} or {EMAIL}.""",
    """Support ticket {INVOICE}
Customer: {PERSON_EN}
Issue: card {CARD} was charged twice ({AMOUNT_EN} each). Please refund one of the charges.""",
    """The login page crashes on version {VERSION} from IP {IP}. Account email: {EMAIL}. Please call back on {PHONE_EN}.""",
    """I'm travelling in Argentina and my local number is {PHONE_AR}. My home number is {PHONE_EN}. - {PERSON_EN}""",
    """Please cancel the card ending in 4410. Full number for verification: {CARD}. Cardholder {PERSON_EN}.""",
    # invoices and payments
    """INVOICE {INVOICE}
Date: {DATE_EN}
Bill to: {PERSON_EN}
Amount due: {AMOUNT_EN}
Pay by bank transfer to IBAN {IBAN} (BIC DEUTDEFF).""",
    """Payment instructions: beneficiary {PERSON_EN}, account {IBAN}, reference {ORDER}. Do not use the old account {BAD_IBAN}, it was closed.""",
    """Remittance advice: we paid {AMOUNT_EN} on {DATE_EN} to IBAN {IBAN} for invoices {INVOICE} and {INVOICE}.""",
    """Receipt: paid with {MASKED_CARD}. Transaction {ORDER}. Questions? Email {EMAIL}.""",
    """Vendor onboarding for our Buenos Aires office: supplier tax ID (CUIT) {CUIT_CO}, contact {PERSON_EN}, phone {PHONE_AR}, email {EMAIL}.""",
    # CRM notes
    """Call notes {DATE_EN}: spoke with {PERSON_EN} (VP Finance). Wants a demo next week. Direct line {PHONE_EN}, assistant {PERSON_EN}.""",
    """Follow-up: {PERSON_EN} asked us to update the billing email to {EMAIL} and the card on file to {CARD}.""",
    """Met {PERSON_EN} at the conference. Interested in the enterprise tier. Mobile {PHONE_EN}. Company HQ zip code 10001.""",
    """Customer {PERSON_ES} from Córdoba called from {PHONE_AR}; her DNI is {DNI} and her CUIL {CUIT}. She wants the contract in Spanish.""",
    # HR forms
    """EMPLOYEE DETAILS
Full name: {PERSON_EN}
Personal email: {EMAIL}
Phone: {PHONE_EN}
Emergency contact: {PERSON_EN}, {PHONE_EN}
Bank account (IBAN): {IBAN}""",
    """Contractor record (Argentina): name {PERSON_ES}, national ID (DNI) {DNI}, tax number CUIT {CUIT}, payout IBAN {IBAN}.""",
    """Reference check: {PERSON_EN} managed the candidate from {DATE_EN} to {DATE_EN}. Reachable at {EMAIL}.""",
    # chat messages
    """hey can u text me at {PHONE_EN}? my email {EMAIL} is acting up""",
    """ok sending the card now {CARD} exp 11/26 - thx!""",
    """lol {PERSON_EN} just replied all to the whole company""",
    # hard negatives mostly
    """Q3 summary
| Region | Units | Revenue |
| North | 18450 | {AMOUNT_EN} |
| South | 13022 | {AMOUNT_EN} |
| West | 9771 | {AMOUNT_EN} |
PO {ORDER}, invoice {INVOICE}.""",
    """Build {VERSION} deployed to {IP} at 14:05 UTC. Rollback plan in ticket {INVOICE}. ISBN of the reference manual: {ISBN}.""",
    """Validation failed: card number {BAD_CARD} does not pass the checksum and the IBAN {BAD_IBAN} is malformed. Order {ORDER} is on hold.""",
    """The Argentine tax ID {BAD_CUIT} on the W-8BEN form has a wrong check digit; the vendor's correct CUIT is {CUIT_CO}.""",
    """Account verification: please confirm the card {CARD} and the IBAN {IBAN} belong to {PERSON_EN}.""",
    """KYC file for Argentine client {PERSON_ES}: DNI {DNI}; CUIL {CUIT}; EUR account IBAN {IBAN}; proof of address attached.""",
    """Refund of {AMOUNT_EN} sent to card {CARD}; the remaining balance goes to IBAN {IBAN}.""",
    """Guest list for the Buenos Aires event: {PERSON_ES} (DNI {DNI}), {PERSON_ES} (DNI {DNI}), {PERSON_EN} (passport).""",
    """Card on file updated from {BAD_CARD} to {CARD} at the customer's request ({EMAIL}).""",
    """Supplier master data change: old IBAN {BAD_IBAN} replaced by new IBAN {IBAN}, approved by {PERSON_EN}.""",
]
